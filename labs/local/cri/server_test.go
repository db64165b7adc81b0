package cri

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// fakeRuntime is a node with one etcd pod: a running container and the
// exited run before it.
type fakeRuntime struct {
	mu      sync.Mutex
	pods    []Pod
	stopped []string
	removed []string
	timeout time.Duration
}

const (
	runningID = "aaaa1111000000000000000000000000000000000000000000000000000000aa"
	exitedID  = "aaaa2222000000000000000000000000000000000000000000000000000000bb"
	sandboxID = "cccc3333000000000000000000000000000000000000000000000000000000cc"
)

func newFakeRuntime() *fakeRuntime {
	grace := int64(30)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "etcd-controlplane", Namespace: "kube-system", UID: "uid1",
			Labels: map[string]string{"component": "etcd"}, Annotations: map[string]string{"kubernetes.io/config.source": "file"}},
		Spec: corev1.PodSpec{HostNetwork: true, TerminationGracePeriodSeconds: &grace, Containers: []corev1.Container{{
			Name: "etcd", Image: "registry.k8s.io/etcd:3.6.4-0", Command: []string{"etcd"},
			TerminationMessagePath: "/dev/termination-log", TerminationMessagePolicy: corev1.TerminationMessageReadFile,
		}}},
	}
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	return &fakeRuntime{pods: []Pod{{
		ID: sandboxID, Pod: pod, CreatedAt: t0, Ready: true, LogDirectory: "/var/log/pods/kube-system_etcd-controlplane_uid1",
		Containers: []Container{
			{ID: exitedID, Name: "etcd", Attempt: 0, State: Exited, CreatedAt: t0, StartedAt: t0, FinishedAt: t0.Add(time.Minute),
				ExitCode: 137, Reason: "Error", LogPath: "/var/log/pods/kube-system_etcd-controlplane_uid1/etcd/0.log"},
			{ID: runningID, Name: "etcd", Attempt: 1, State: Running, CreatedAt: t0.Add(time.Minute), StartedAt: t0.Add(time.Minute), PID: 42,
				LogPath: "/var/log/pods/kube-system_etcd-controlplane_uid1/etcd/1.log",
				Mounts:  []Mount{{ContainerPath: "/var/lib/etcd", HostPath: "/var/lib/etcd"}}},
		},
	}}}
}

func (f *fakeRuntime) Pods() []Pod {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pods
}

func (f *fakeRuntime) StopContainer(id string, timeout time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped, f.timeout = append(f.stopped, id), timeout
	return nil
}

func (f *fakeRuntime) RemoveContainer(id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = append(f.removed, id)
	return nil
}

// serve serves rt on a socket and returns clients of both services.
func serve(t *testing.T, rt Runtime) (runtimeapi.RuntimeServiceClient, runtimeapi.ImageServiceClient) {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "run", "containerd", "containerd.sock")
	done := make(chan error, 1)
	ln, err := Listen(sock)
	require.NoError(t, err)
	g := NewServer(rt, Options{Version: "v1.37.2-ckat"})
	go func() { done <- g.Serve(ln) }()
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() {
		conn.Close()
		g.Stop()
		require.NoError(t, <-done)
	})
	return runtimeapi.NewRuntimeServiceClient(conn), runtimeapi.NewImageServiceClient(conn)
}

func TestVersionAndStatus(t *testing.T) {
	rs, _ := serve(t, newFakeRuntime())
	ctx := context.Background()
	v, err := rs.Version(ctx, &runtimeapi.VersionRequest{})
	require.NoError(t, err)
	require.Equal(t, "containerd", v.RuntimeName)
	require.Equal(t, "v1.37.2-ckat", v.RuntimeVersion)
	require.Equal(t, "v1", v.RuntimeApiVersion)
	st, err := rs.Status(ctx, &runtimeapi.StatusRequest{})
	require.NoError(t, err)
	require.Len(t, st.Status.Conditions, 2)
	for _, c := range st.Status.Conditions {
		require.True(t, c.Status, c.Type)
	}
}

func TestListContainersFilters(t *testing.T) {
	rs, _ := serve(t, newFakeRuntime())
	ctx := context.Background()
	ids := func(f *runtimeapi.ContainerFilter) []string {
		resp, err := rs.ListContainers(ctx, &runtimeapi.ListContainersRequest{Filter: f})
		require.NoError(t, err)
		var out []string
		for _, c := range resp.Containers {
			out = append(out, c.Id)
		}
		return out
	}
	running := &runtimeapi.ContainerStateValue{State: runtimeapi.ContainerState_CONTAINER_RUNNING}
	require.Equal(t, []string{exitedID, runningID}, ids(nil), "ps -a lists the exited run too")
	require.Equal(t, []string{runningID}, ids(&runtimeapi.ContainerFilter{State: running}))
	require.Equal(t, []string{runningID}, ids(&runtimeapi.ContainerFilter{Id: "aaaa1"}), "an ID prefix")
	require.Empty(t, ids(&runtimeapi.ContainerFilter{PodSandboxId: "dddd"}))
	require.Len(t, ids(&runtimeapi.ContainerFilter{PodSandboxId: "cccc", LabelSelector: map[string]string{"io.kubernetes.container.name": "etcd"}}), 2)
	require.Empty(t, ids(&runtimeapi.ContainerFilter{LabelSelector: map[string]string{"io.kubernetes.container.name": "kube-apiserver"}}))

	resp, err := rs.ListContainers(ctx, &runtimeapi.ListContainersRequest{Filter: &runtimeapi.ContainerFilter{State: running}})
	require.NoError(t, err)
	c := resp.Containers[0]
	require.Equal(t, sandboxID, c.PodSandboxId)
	require.Equal(t, "etcd", c.Metadata.Name)
	require.Equal(t, uint32(1), c.Metadata.Attempt)
	require.Equal(t, ImageID("registry.k8s.io/etcd:3.6.4-0"), c.Image.Image)
	require.Equal(t, map[string]string{"io.kubernetes.pod.name": "etcd-controlplane", "io.kubernetes.pod.namespace": "kube-system",
		"io.kubernetes.pod.uid": "uid1", "io.kubernetes.container.name": "etcd"}, c.Labels)
	require.Equal(t, "1", c.Annotations["io.kubernetes.container.restartCount"])
	require.Equal(t, "30", c.Annotations["io.kubernetes.pod.terminationGracePeriod"])
}

func TestContainerStatus(t *testing.T) {
	rs, _ := serve(t, newFakeRuntime())
	ctx := context.Background()
	resp, err := rs.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: "aaaa2", Verbose: true})
	require.NoError(t, err)
	st := resp.Status
	require.Equal(t, exitedID, st.Id)
	require.Equal(t, runtimeapi.ContainerState_CONTAINER_EXITED, st.State)
	require.Equal(t, int32(137), st.ExitCode)
	require.Equal(t, "Error", st.Reason)
	require.Equal(t, "registry.k8s.io/etcd:3.6.4-0", st.Image.Image)
	require.Equal(t, "/var/log/pods/kube-system_etcd-controlplane_uid1/etcd/0.log", st.LogPath)
	require.Equal(t, time.Date(2026, 12, 3, 10, 1, 0, 0, time.UTC).UnixNano(), st.FinishedAt)
	require.Contains(t, resp.Info["info"], `"sandboxID":"`+sandboxID+`"`)

	resp, err = rs.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: runningID})
	require.NoError(t, err)
	require.Equal(t, int64(0), resp.Status.FinishedAt)
	require.Equal(t, []*runtimeapi.Mount{{ContainerPath: "/var/lib/etcd", HostPath: "/var/lib/etcd"}}, resp.Status.Mounts)

	_, err = rs.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: "aaaa"})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
	require.ErrorContains(t, err, "multiple IDs found with provided prefix")
	_, err = rs.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: "ffff"})
	require.Equal(t, codes.NotFound, status.Code(err))
	require.ErrorContains(t, err, `an error occurred when try to find container "ffff": not found`)
}

func TestStopAndRemoveResolvePrefixes(t *testing.T) {
	rt := newFakeRuntime()
	rs, _ := serve(t, rt)
	ctx := context.Background()
	_, err := rs.StopContainer(ctx, &runtimeapi.StopContainerRequest{ContainerId: "aaaa1", Timeout: 5})
	require.NoError(t, err)
	_, err = rs.RemoveContainer(ctx, &runtimeapi.RemoveContainerRequest{ContainerId: "aaaa2"})
	require.NoError(t, err)
	_, err = rs.RemoveContainer(ctx, &runtimeapi.RemoveContainerRequest{ContainerId: "ffff"})
	require.NoError(t, err, "removing a container that is gone succeeds, as in containerd")
	require.Equal(t, []string{runningID}, rt.stopped)
	require.Equal(t, 5*time.Second, rt.timeout)
	require.Equal(t, []string{exitedID}, rt.removed)
}

func TestSandboxes(t *testing.T) {
	rs, _ := serve(t, newFakeRuntime())
	ctx := context.Background()
	list, err := rs.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{Filter: &runtimeapi.PodSandboxFilter{
		LabelSelector: map[string]string{"component": "etcd"}}})
	require.NoError(t, err)
	require.Len(t, list.Items, 1)
	sb := list.Items[0]
	require.Equal(t, sandboxID, sb.Id)
	require.Equal(t, runtimeapi.PodSandboxState_SANDBOX_READY, sb.State)
	require.Equal(t, &runtimeapi.PodSandboxMetadata{Name: "etcd-controlplane", Uid: "uid1", Namespace: "kube-system"}, sb.Metadata)
	require.Equal(t, "etcd-controlplane", sb.Labels["io.kubernetes.pod.name"])
	require.Equal(t, "file", sb.Annotations["kubernetes.io/config.source"])

	st, err := rs.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: "cccc", Verbose: true})
	require.NoError(t, err)
	require.Equal(t, runtimeapi.NamespaceMode_NODE, st.Status.Linux.Namespaces.Options.Network)
	require.Len(t, st.ContainersStatuses, 2)
	require.Contains(t, st.Info["info"], `"logDirectory":"/var/log/pods/kube-system_etcd-controlplane_uid1"`)

	_, err = rs.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: "ffff"})
	require.Equal(t, codes.NotFound, status.Code(err))
}

func TestImages(t *testing.T) {
	_, is := serve(t, newFakeRuntime())
	ctx := context.Background()
	list, err := is.ListImages(ctx, &runtimeapi.ListImagesRequest{})
	require.NoError(t, err)
	require.Len(t, list.Images, 1)
	require.Equal(t, []string{"registry.k8s.io/etcd:3.6.4-0"}, list.Images[0].RepoTags)
	require.Equal(t, ImageID("registry.k8s.io/etcd:3.6.4-0"), list.Images[0].Id)

	st, err := is.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: "registry.k8s.io/etcd:3.6.4-0"}})
	require.NoError(t, err)
	require.Equal(t, list.Images[0].Id, st.Image.Id)
	st, err = is.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: "nginx"}})
	require.NoError(t, err)
	require.Nil(t, st.Image, "an unknown image is no image, not an error")

	fs, err := is.ImageFsInfo(ctx, &runtimeapi.ImageFsInfoRequest{})
	require.NoError(t, err, "crictl asks for the image filesystem before any command")
	require.Len(t, fs.ImageFilesystems, 1)
	require.Equal(t, "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs", fs.ImageFilesystems[0].FsId.Mountpoint)
	require.Zero(t, fs.ImageFilesystems[0].UsedBytes.Value)
}

func TestNormalizeImage(t *testing.T) {
	require.Equal(t, "docker.io/library/nginx:latest", NormalizeImage("nginx"))
	require.Equal(t, "registry.k8s.io/etcd:3.6.4-0", NormalizeImage("registry.k8s.io/etcd:3.6.4-0"))
	require.Equal(t, "Not A Name", NormalizeImage("Not A Name"))
	require.Equal(t, ImageID("nginx"), ImageID("docker.io/library/nginx:latest"))
	require.Regexp(t, `^sha256:[0-9a-f]{64}$`, ImageID("nginx"))
}

func TestWhatCKATDoesNotRunSaysSo(t *testing.T) {
	rs, is := serve(t, newFakeRuntime())
	ctx := context.Background()
	_, err := is.PullImage(ctx, &runtimeapi.PullImageRequest{Image: &runtimeapi.ImageSpec{Image: "nginx"}})
	require.Equal(t, codes.Unimplemented, status.Code(err))
	require.ErrorContains(t, err, "pulling an image: ckat's node runs the kubelet's static pods as plain processes")
	_, err = rs.ExecSync(ctx, &runtimeapi.ExecSyncRequest{ContainerId: runningID, Cmd: []string{"sh"}})
	require.Equal(t, codes.Unimplemented, status.Code(err))
	require.ErrorContains(t, err, "no image and no shell")
	_, err = rs.Exec(ctx, &runtimeapi.ExecRequest{ContainerId: runningID, Cmd: []string{"sh"}})
	require.ErrorContains(t, err, "exec in a container")
	_, err = rs.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{})
	require.ErrorContains(t, err, "put a pod manifest in /etc/kubernetes/manifests")
	// A call ckat has no method of its own for gets the same kind of
	// message, not gRPC's bare "method X not implemented".
	_, err = rs.ListContainerStats(ctx, &runtimeapi.ListContainerStatsRequest{})
	require.Equal(t, codes.Unimplemented, status.Code(err))
	require.ErrorContains(t, err, "ListContainerStats: ckat's node runs the kubelet's static pods as plain processes")
	require.ErrorContains(t, err, "crictl answers version, info, ps, pods")
}
