package agent

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// criClient connects to the test node's CRI socket.
func (n *testNode) criClient(t *testing.T) runtimeapi.RuntimeServiceClient {
	t.Helper()
	conn, err := grpc.NewClient("unix://"+n.cfg.CRISocket, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return runtimeapi.NewRuntimeServiceClient(conn)
}

// containers lists the node's containers, running and exited, by ID.
func containers(t *testing.T, rs runtimeapi.RuntimeServiceClient) map[string]*runtimeapi.Container {
	t.Helper()
	resp, err := rs.ListContainers(context.Background(), &runtimeapi.ListContainersRequest{})
	require.NoError(t, err)
	out := map[string]*runtimeapi.Container{}
	for _, c := range resp.Containers {
		out[c.Id] = c
	}
	return out
}

// TestCRIStopRestartsContainerUnderNewID stops a static pod's container
// through the CRI, as crictl stop does: the process ends, the exited run
// stays listed with its exit code, the agent starts the container again
// under a new ID, and each run has its /var/log/containers link.
func TestCRIStopRestartsContainerUnderNewID(t *testing.T) {
	requireIntegration(t)
	n := newTestNode(t)
	n.cfg.CRISocket = filepath.Join(n.root, "run/containerd/containerd.sock")
	n.cfg.ContainerLogDir = filepath.Join(n.root, "var/log/containers")
	n.start(t)
	n.writeManifest(t, "sleeper.yaml", shellPod("sleeper", "echo started; while true; do sleep 0.1; done"))
	first := n.waitReady(t, "sleeper.yaml", 0)
	rs := n.criClient(t)
	ctx := context.Background()

	var id string
	require.Eventually(t, func() bool {
		for cid, c := range containers(t, rs) {
			if c.State == runtimeapi.ContainerState_CONTAINER_RUNNING {
				id = cid
			}
		}
		return id != ""
	}, 10*time.Second, 100*time.Millisecond, "the running container is listed")
	st, err := rs.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id[:12]})
	require.NoError(t, err)
	require.Equal(t, "sleeper", st.Status.Metadata.Name)
	require.Equal(t, "docker.io/library/busybox:latest", st.Status.Image.Image)
	logPath := st.Status.LogPath
	require.Regexp(t, `/var/log/pods/kube-system_sleeper-controlplane_[0-9a-f]+/sleeper/0\.log$`, logPath)
	link := filepath.Join(n.cfg.ContainerLogDir, "sleeper-controlplane_kube-system_sleeper-"+id+".log")
	target, err := os.Readlink(link)
	require.NoError(t, err, "the kubelet's link to the log")
	require.Equal(t, logPath, target)
	require.Eventually(t, func() bool {
		data, _ := os.ReadFile(link)
		return len(data) > 0
	}, 5*time.Second, 100*time.Millisecond)

	_, err = rs.StopContainer(ctx, &runtimeapi.StopContainerRequest{ContainerId: id})
	require.NoError(t, err)
	require.True(t, processGone(first.PID), "the process has ended when StopContainer returns")
	second := n.waitReady(t, "sleeper.yaml", first.PID)
	require.Equal(t, 1, second.Restarts)
	require.Equal(t, 137, second.LastExitCode, "no grace period: SIGKILL")

	var newID string
	require.Eventually(t, func() bool {
		for cid, c := range containers(t, rs) {
			if c.State == runtimeapi.ContainerState_CONTAINER_RUNNING {
				newID = cid
			}
		}
		return newID != ""
	}, 10*time.Second, 100*time.Millisecond)
	require.NotEqual(t, id, newID)
	all := containers(t, rs)
	require.Len(t, all, 2, "the exited run is kept")
	require.Equal(t, uint32(1), all[newID].Metadata.Attempt)
	old, err := rs.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id})
	require.NoError(t, err)
	require.Equal(t, runtimeapi.ContainerState_CONTAINER_EXITED, old.Status.State)
	require.Equal(t, int32(137), old.Status.ExitCode)
	require.NotZero(t, old.Status.FinishedAt)
	_, err = os.Readlink(filepath.Join(n.cfg.ContainerLogDir, "sleeper-controlplane_kube-system_sleeper-"+newID+".log"))
	require.NoError(t, err, "the new run's link")

	_, err = rs.RemoveContainer(ctx, &runtimeapi.RemoveContainerRequest{ContainerId: id})
	require.NoError(t, err)
	all = containers(t, rs)
	require.Len(t, all, 1, "the removed run is no longer listed")
	require.Contains(t, all, newID)
	_, err = os.Lstat(link)
	require.ErrorIs(t, err, os.ErrNotExist, "the removed run's link is gone")
}

// TestAdoptedContainerKeepsItsID stops an agent that leaves its containers
// running and starts the next one: the container the next agent adopts
// keeps its ID, so `crictl ps` before and after a `systemctl restart
// kubelet` shows the same container, as containerd keeps it.
func TestAdoptedContainerKeepsItsID(t *testing.T) {
	requireIntegration(t)
	n := newTestNode(t)
	n.cfg.CRISocket = filepath.Join(n.root, "run/containerd/containerd.sock")
	n.cfg.ContainerLogDir = filepath.Join(n.root, "var/log/containers")
	n.cfg.KeepPodsOnExit = true
	n.writeManifest(t, "sleeper.yaml", shellPod("sleeper", "exec sleep 3600"))
	stop := n.run(t)
	first := n.waitReady(t, "sleeper.yaml", 0)
	t.Cleanup(func() { _ = syscall.Kill(-first.PID, syscall.SIGKILL) })
	// The CRI socket comes up beside the pods' status, not before it.
	rs := func() runtimeapi.RuntimeServiceClient { return n.criClient(t) }
	running := func() string {
		var id string
		require.Eventually(t, func() bool {
			resp, err := rs().ListContainers(context.Background(), &runtimeapi.ListContainersRequest{})
			for _, c := range resp.GetContainers() {
				if err == nil && c.State == runtimeapi.ContainerState_CONTAINER_RUNNING {
					id = c.Id
				}
			}
			return id != ""
		}, 10*time.Second, 100*time.Millisecond, "the running container is listed")
		return id
	}
	id := running()
	stop()

	n.cfg.KeepPodsOnExit = false
	n.start(t)
	s := n.waitReady(t, "sleeper.yaml", 0)
	require.Equal(t, first.PID, s.PID, "the container was not adopted")
	require.Equal(t, id, running(), "the adopted container has a new ID")
	target, err := os.Readlink(filepath.Join(n.cfg.ContainerLogDir, "sleeper-controlplane_kube-system_sleeper-"+id+".log"))
	require.NoError(t, err, "the adopted run's link")
	require.Regexp(t, `/sleeper/0\.log$`, target)
	require.NotContains(t, n.logs.String(), "linking the log", "the next agent failed to keep the link")
}
