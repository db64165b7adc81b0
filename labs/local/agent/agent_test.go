package agent

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/etcdutl/v3/snapshot"
	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
)

// etcdPut writes a key through etcd's client API.
func etcdPut(t *testing.T, endpoint, key, value string) {
	t.Helper()
	c := etcdClient(t, endpoint)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.Put(ctx, key, value)
	require.NoError(t, err)
}

// etcdGet reads a key; "" when it is absent.
func etcdGet(t *testing.T, endpoint, key string) string {
	t.Helper()
	c := etcdClient(t, endpoint)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := c.Get(ctx, key)
	require.NoError(t, err)
	if len(resp.Kvs) == 0 {
		return ""
	}
	return string(resp.Kvs[0].Value)
}

func etcdClient(t *testing.T, endpoint string) *clientv3.Client {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func processGone(pid int) bool {
	return syscall.Kill(pid, 0) == syscall.ESRCH
}

func TestInvalidManifestIsReportedAndOthersKeepRunning(t *testing.T) {
	requireIntegration(t)
	n := startAgent(t)
	e := newEtcdPod(t, filepath.Join(n.root, "var/lib/etcd"))
	n.writeManifest(t, "etcd.yaml", e.manifest(t))
	etcd := n.waitReady(t, "etcd.yaml", 0)
	require.Equal(t, "etcd-controlplane", etcd.Name)
	require.Equal(t, "kube-system", etcd.Namespace)
	require.Equal(t, "Running", etcd.Phase)

	broken, err := os.ReadFile("testdata/invalid-yaml-indent.yaml")
	require.NoError(t, err)
	n.writeManifest(t, "kube-apiserver.yaml", string(broken))
	bad := n.waitPod(t, "kube-apiserver.yaml", 10*time.Second, "reported", func(s PodStatus, ok bool) bool { return ok })
	require.Equal(t, reasonInvalidManifest, bad.Reason)
	require.Equal(t, "Failed", bad.Phase)
	require.Contains(t, bad.Message, "yaml: line 9: did not find expected key")
	require.Contains(t, bad.Message, filepath.Join(n.cfg.ManifestDir, "kube-apiserver.yaml"))

	// The new file is a watch event; the re-reads that follow log it as
	// "Could not process manifest file", once while it stays the same.
	require.Contains(t, n.logs.String(), `"Unable to process watch event"`)
	require.Contains(t, n.logs.String(), `kube-apiserver.yaml: couldn't parse as pod(yaml: line 9: did not find expected key), please check config file`)
	time.Sleep(2*n.cfg.FileCheckFrequency + time.Second)
	require.Equal(t, 1, strings.Count(n.logs.String(), "Could not process manifest file"), "an unchanged bad manifest is logged once")
	require.Equal(t, 1, strings.Count(n.logs.String(), "Unable to process watch event"))

	still := n.status(t)["etcd.yaml"]
	require.Equal(t, etcd.PID, still.PID, "etcd was not restarted")
	require.True(t, still.Ready)
	etcdPut(t, e.endpoint(), "k", "v")

	// Fixing the manifest runs it; a bad edit of a running pod stops it
	// at the next re-read of the directory (until then the kubelet keeps
	// the pod it has).
	n.writeManifest(t, "kube-apiserver.yaml", shellPod("kube-apiserver", "exec sleep 1000"))
	api := n.waitReady(t, "kube-apiserver.yaml", 0)
	n.writeManifest(t, "kube-apiserver.yaml", string(broken))
	n.waitPod(t, "kube-apiserver.yaml", 15*time.Second, "InvalidManifest", func(s PodStatus, ok bool) bool { return s.Reason == reasonInvalidManifest })
	require.Eventually(t, func() bool { return processGone(api.PID) }, 15*time.Second, 100*time.Millisecond)
}

func TestChangedHostPathServesRestoredData(t *testing.T) {
	requireIntegration(t)
	n := startAgent(t)
	orig := filepath.Join(n.root, "var/lib/etcd")
	e := newEtcdPod(t, orig)
	n.writeManifest(t, "etcd.yaml", e.manifest(t))
	first := n.waitReady(t, "etcd.yaml", 0)
	etcdPut(t, e.endpoint(), "/registry/test", "before-backup")

	snap := filepath.Join(n.root, "opt/snapshot.db")
	require.NoError(t, os.MkdirAll(filepath.Dir(snap), 0o755))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := snapshot.NewV3(zap.NewNop()).Save(ctx, clientv3.Config{Endpoints: []string{e.endpoint()}, Logger: zap.NewNop()}, snap)
	require.NoError(t, err)
	etcdPut(t, e.endpoint(), "/registry/test", "after-backup")

	restored := filepath.Join(n.root, "var/lib/etcd-restored")
	peer := "http://127.0.0.1:" + strconv.Itoa(e.PeerPort)
	require.NoError(t, snapshot.NewV3(zap.NewNop()).Restore(snapshot.RestoreConfig{
		SnapshotPath: snap, Name: "controlplane", OutputDataDir: restored,
		PeerURLs: []string{peer}, InitialCluster: "controlplane=" + peer, InitialClusterToken: "etcd-cluster",
	}))

	e.HostPath = restored
	n.writeManifest(t, "etcd.yaml", e.manifest(t))
	second := n.waitReady(t, "etcd.yaml", first.PID)
	require.True(t, processGone(first.PID), "the old etcd was stopped")
	require.NotNil(t, second.ReadySince, "a ready pod says since when")
	require.False(t, second.ReadySince.Before(*second.StartedAt), "it became ready after it started: %s before %s", second.ReadySince, second.StartedAt)
	require.Equal(t, 0, second.Restarts, "a changed manifest is a new pod")
	require.Equal(t, "before-backup", etcdGet(t, e.endpoint(), "/registry/test"), "etcd serves the restored directory")
	_, err = os.Stat(filepath.Join(orig, "member"))
	require.NoError(t, err, "the old data directory is untouched")
}

func TestDataDirOutsideMountsIsLostOnRestart(t *testing.T) {
	requireIntegration(t)
	n := startAgent(t)
	hostDir := filepath.Join(n.root, "var/lib/etcd")
	e := newEtcdPod(t, hostDir)
	e.DataDir = "/var/lib/etcd-restored" // only --data-dir changed: not on the volume
	n.writeManifest(t, "etcd.yaml", e.manifest(t))
	first := n.waitReady(t, "etcd.yaml", 0)
	etcdPut(t, e.endpoint(), "k", "v")
	require.Equal(t, "v", etcdGet(t, e.endpoint(), "k"))

	entries, err := os.ReadDir(hostDir)
	require.NoError(t, err)
	require.Empty(t, entries, "nothing was written to the hostPath")
	scratch := filepath.Join(n.cfg.ContainerDir, "etcd-controlplane-0/rootfs/var/lib/etcd-restored/member")
	_, err = os.Stat(scratch)
	require.NoError(t, err, "the data is on the container's own filesystem")

	require.NoError(t, syscall.Kill(first.PID, syscall.SIGKILL))
	second := n.waitReady(t, "etcd.yaml", first.PID)
	require.Equal(t, 1, second.Restarts)
	require.Equal(t, 128+9, second.LastExitCode)
	require.Equal(t, "", etcdGet(t, e.endpoint(), "k"), "the restarted etcd started empty")
	_, err = os.Stat(filepath.Join(n.cfg.ContainerDir, "etcd-controlplane-0"))
	require.ErrorIs(t, err, os.ErrNotExist, "the replaced container's filesystem is deleted")
}

func TestCrashingContainerBacksOffAndKeepsPreviousLog(t *testing.T) {
	requireIntegration(t)
	n := startAgent(t)
	n.writeManifest(t, "crash.yaml", shellPod("crash", "echo run on stdout; echo boom on stderr >&2; exit 3"))
	s := n.waitPod(t, "crash.yaml", 20*time.Second, "in CrashLoopBackOff", func(s PodStatus, ok bool) bool {
		return s.Reason == reasonCrashLoopBackOff
	})
	require.Equal(t, 2, s.Restarts, "the first restart is immediate, the second waits")
	require.Equal(t, 3, s.LastExitCode)
	require.Equal(t, "Running", s.Phase)
	require.False(t, s.Ready)
	require.Nil(t, s.ReadySince, "a pod that is not ready has no ready-since")
	require.Contains(t, s.Message, "back-off 10s restarting failed container=crash pod=crash-controlplane_kube-system")
	require.NotNil(t, s.LastStartedAt, "the last run's start, as kubectl describe shows it")
	require.NotNil(t, s.LastFinishedAt)
	require.False(t, s.LastFinishedAt.Before(*s.LastStartedAt))
	require.WithinDuration(t, time.Now(), *s.LastFinishedAt, 15*time.Second, "the last run ended just now")

	s = n.waitPod(t, "crash.yaml", 20*time.Second, "restarted a third time", func(s PodStatus, ok bool) bool { return s.Restarts >= 3 })
	require.Contains(t, s.Message, "back-off 20s")
	dirs, err := filepath.Glob(filepath.Join(n.cfg.PodLogDir, "kube-system_crash-controlplane_*", "crash"))
	require.NoError(t, err)
	require.Len(t, dirs, 1)
	logs, err := filepath.Glob(filepath.Join(dirs[0], "*.log"))
	require.NoError(t, err)
	var names []string
	for _, l := range logs {
		names = append(names, filepath.Base(l))
	}
	require.Equal(t, []string{"1.log", "2.log"}, names, "the current and the previous run are kept")
	data, err := os.ReadFile(filepath.Join(dirs[0], "1.log"))
	require.NoError(t, err)
	require.Regexp(t, `(?m)^\S+ stdout F run on stdout$`, string(data))
	require.Regexp(t, `(?m)^\S+ stderr F boom on stderr$`, string(data))
}

func TestRemovedManifestStopsPod(t *testing.T) {
	requireIntegration(t)
	n := startAgent(t)
	n.writeManifest(t, "sleeper.yaml", shellPod("sleeper", "trap 'echo got TERM; exit 0' TERM; echo trapping; while true; do sleep 0.1; done"))
	s := n.waitReady(t, "sleeper.yaml", 0)
	// The agent acts on the removal at once: wait until the shell has
	// set its trap, or SIGTERM may come first.
	n.waitLogged(t, "sleeper", "stdout F trapping")
	require.NoError(t, os.Remove(filepath.Join(n.cfg.ManifestDir, "sleeper.yaml")))
	n.waitPod(t, "sleeper.yaml", 5*time.Second, "gone from the status", func(_ PodStatus, ok bool) bool { return !ok })
	require.Eventually(t, func() bool { return processGone(s.PID) }, 15*time.Second, 100*time.Millisecond)
	require.Eventually(t, func() bool {
		_, err := os.Stat(filepath.Join(n.cfg.ContainerDir, "sleeper-controlplane-0"))
		return os.IsNotExist(err)
	}, 5*time.Second, 100*time.Millisecond, "the container's filesystem is deleted")
	logs, _ := filepath.Glob(filepath.Join(n.cfg.PodLogDir, "kube-system_sleeper-controlplane_*", "sleeper", "0.log"))
	require.Len(t, logs, 1)
	data, err := os.ReadFile(logs[0])
	require.NoError(t, err)
	require.Contains(t, string(data), "stdout F got TERM", "the container got SIGTERM first")
}

// TestRemovedManifestKillsAfterGracePeriod: a container that ignores
// SIGTERM runs on for its pod's terminationGracePeriodSeconds and is then
// killed, as the kubelet does; a pod of the same name put back meanwhile
// starts only once it has gone.
func TestRemovedManifestKillsAfterGracePeriod(t *testing.T) {
	requireIntegration(t)
	n := startAgent(t)
	manifest := strings.Replace(shellPod("stubborn", "trap '' TERM; echo ignoring; while true; do sleep 0.1; done"),
		"spec:\n", "spec:\n  terminationGracePeriodSeconds: 3\n", 1)
	n.writeManifest(t, "stubborn.yaml", manifest)
	s := n.waitReady(t, "stubborn.yaml", 0)
	n.waitLogged(t, "stubborn", "stdout F ignoring")

	removed := time.Now()
	require.NoError(t, os.Remove(filepath.Join(n.cfg.ManifestDir, "stubborn.yaml")))
	n.writeManifest(t, "stubborn.yaml", manifest)
	require.Eventually(t, func() bool { return processGone(s.PID) }, 15*time.Second, 50*time.Millisecond)
	gone := time.Since(removed)
	require.GreaterOrEqual(t, gone, 3*time.Second, "killed before its grace period")
	restarted := n.waitReady(t, "stubborn.yaml", s.PID)
	require.NotEqual(t, s.PID, restarted.PID)
	require.NotNil(t, restarted.StartedAt)
	require.GreaterOrEqual(t, restarted.StartedAt.Sub(removed), 3*time.Second, "the new pod started before the old one ended")
}

func TestTerminationGrace(t *testing.T) {
	seconds := func(s int64) *int64 { return &s }
	for _, tc := range []struct {
		name  string
		grace *int64
		want  time.Duration
	}{
		{"unset: the API's default", nil, 30 * time.Second},
		{"zero: at least a second", seconds(0), time.Second},
		{"set", seconds(5), 5 * time.Second},
		{"longer than the node's shutdown", seconds(120), 120 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := &corev1.Pod{Spec: corev1.PodSpec{TerminationGracePeriodSeconds: tc.grace}}
			require.Equal(t, tc.want, terminationGrace(pod))
			a := &agent{}
			require.Equal(t, tc.want, a.stopGrace(terminationGrace(pod)))
			a.shuttingDown.Store(true)
			require.Equal(t, min(tc.want, shutdownGrace), a.stopGrace(terminationGrace(pod)), "when the node stops")
		})
	}
}

// TestQuickMoveOutAndBackRestartsPod: `mv kube-apiserver.yaml /tmp/ &&
// mv /tmp/kube-apiserver.yaml .` is two inotify events, Rename then
// Create, which the kubelet consumes one by one (file_linux.go,
// consumeWatchEvent): the pod stops and starts again, however quickly the
// file comes back. A look at the directory every so often would see
// nothing change.
func TestQuickMoveOutAndBackRestartsPod(t *testing.T) {
	requireIntegration(t)
	n := startAgent(t)
	n.writeManifest(t, "sleeper.yaml", shellPod("sleeper", "while true; do sleep 0.1; done"))
	s := n.waitReady(t, "sleeper.yaml", 0)
	manifest, out := filepath.Join(n.cfg.ManifestDir, "sleeper.yaml"), filepath.Join(t.TempDir(), "sleeper.yaml")
	require.NoError(t, os.Rename(manifest, out))
	require.NoError(t, os.Rename(out, manifest))
	restarted := n.waitReady(t, "sleeper.yaml", s.PID)
	require.NotEqual(t, s.PID, restarted.PID)
	require.Eventually(t, func() bool { return processGone(s.PID) }, 15*time.Second, 100*time.Millisecond, "the first container stopped")
	require.Contains(t, n.logs.String(), "manifest sleeper.yaml removed: stopping sleeper")
}

func TestMissingDirectoryWaitsWithFailedMount(t *testing.T) {
	requireIntegration(t)
	n := startAgent(t)
	data := filepath.Join(n.root, "srv/data")
	n.writeManifest(t, "web.yaml", shellPod("web", "cat /data/index.html; echo; touch /data/new || echo cannot write; exec sleep 1000")+`    volumeMounts:
    - name: data
      mountPath: /data
      readOnly: true
  volumes:
  - name: data
    hostPath:
      path: `+data+`
      type: Directory
`)
	s := n.waitPod(t, "web.yaml", 10*time.Second, "FailedMount", func(s PodStatus, ok bool) bool { return s.Reason == reasonFailedMount })
	require.Equal(t, "Pending", s.Phase)
	require.Equal(t, 0, s.Restarts)
	require.Contains(t, s.Message, "hostPath type check failed: "+data+" is not a directory")

	require.NoError(t, os.MkdirAll(data, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(data, "index.html"), []byte("served from the hostPath"), 0o644))
	s = n.waitReady(t, "web.yaml", 0)
	require.Equal(t, 0, s.Restarts)
	logs, _ := filepath.Glob(filepath.Join(n.cfg.PodLogDir, "kube-system_web-controlplane_*", "web", "0.log"))
	require.Len(t, logs, 1)
	require.Eventually(t, func() bool {
		out, _ := os.ReadFile(logs[0])
		return strings.Contains(string(out), "stdout F served from the hostPath\n") &&
			strings.Contains(string(out), "Read-only file system") && strings.Contains(string(out), "stdout F cannot write")
	}, 5*time.Second, 100*time.Millisecond, "the volume is served read-only")
	_, err := os.Stat(filepath.Join(data, "new"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

// TestBackupCopyInManifestDir is the learner's `cp etcd.yaml
// etcd.yaml.bak` then an edit of etcd.yaml, with real processes: the copy
// runs once it appears, the edit runs once it is made, and the next
// re-read of the directory runs the copy again, the last file in name
// order (kubelet v1.37's file source, see fileSource).
func TestBackupCopyInManifestDir(t *testing.T) {
	requireIntegration(t)
	n := startAgent(t)
	n.writeManifest(t, "etcd.yaml", shellPod("etcd", "echo old data; exec sleep 1000"))
	first := n.waitReady(t, "etcd.yaml", 0)

	n.writeManifest(t, "etcd.yaml.bak", shellPod("etcd", "echo old data; exec sleep 1000"))
	copied := n.waitReady(t, "etcd.yaml.bak", first.PID)
	require.Equal(t, "etcd-controlplane", copied.Name)
	require.True(t, processGone(first.PID), "one pod per name: the copy's pod replaced etcd.yaml's")
	shadowed := n.status(t)["etcd.yaml"]
	require.Equal(t, reasonDuplicatePodName, shadowed.Reason)
	require.Contains(t, shadowed.Message, "pod kube-system/etcd-controlplane runs from etcd.yaml.bak: the kubelet keeps one pod per name")

	n.writeManifest(t, "etcd.yaml", shellPod("etcd", "echo restored data; exec sleep 1000"))
	edited := n.waitReady(t, "etcd.yaml", copied.PID)
	editedAt := time.Now()
	back := n.waitReady(t, "etcd.yaml.bak", edited.PID)
	require.Less(t, time.Since(editedAt), n.cfg.FileCheckFrequency+5*time.Second, "the next re-read runs the copy again")
	require.True(t, processGone(edited.PID))
	require.Contains(t, n.logs.String(), "pod etcd-controlplane now comes from etcd.yaml.bak, not etcd.yaml")

	// Removing the copy removes the pod it defined; the next re-read runs
	// etcd.yaml's.
	require.NoError(t, os.Remove(filepath.Join(n.cfg.ManifestDir, "etcd.yaml.bak")))
	final := n.waitReady(t, "etcd.yaml", back.PID)
	require.True(t, processGone(back.PID))
	dirs, _ := filepath.Glob(filepath.Join(n.cfg.PodLogDir, "kube-system_etcd-controlplane_*"))
	require.Len(t, dirs, 3, "one log directory per pod UID, which hashes file and content")
	require.Equal(t, 0, final.Restarts)
}

func TestREADMEAndSubdirectory(t *testing.T) {
	requireIntegration(t)
	n := startAgent(t)
	n.writeManifest(t, "etcd.yaml", shellPod("etcd", "echo from etcd.yaml; exec sleep 1000"))
	first := n.waitReady(t, "etcd.yaml", 0)

	// What a learner leaves behind with `mkdir backup` and a note: the
	// README is read, as the kubelet reads it, and is no pod; the
	// directory is skipped.
	n.writeManifest(t, "README", "Backups are in /root.\n")
	require.NoError(t, os.Mkdir(filepath.Join(n.cfg.ManifestDir, "backup"), 0o755))
	readme := n.waitPod(t, "README", 10*time.Second, "invalid", func(s PodStatus, ok bool) bool { return s.Reason == reasonInvalidManifest })
	require.Contains(t, readme.Message, "couldn't parse as pod")
	require.NotContains(t, n.status(t), "backup", "a directory is no manifest, invalid or not")
	require.Eventually(t, func() bool {
		return strings.Contains(n.logs.String(), `"Provided manifest path is a directory, not recursing into manifest path" path="`+filepath.Join(n.cfg.ManifestDir, "backup")+`"`)
	}, 2*n.cfg.FileCheckFrequency+5*time.Second, 100*time.Millisecond)
	time.Sleep(2 * n.cfg.FileCheckFrequency)
	require.Equal(t, 1, strings.Count(n.logs.String(), "not recursing into manifest path"), "logged once")
	s := n.status(t)
	require.Len(t, s, 2)
	require.Equal(t, first.PID, s["etcd.yaml"].PID, "etcd.yaml keeps running")
	require.NotContains(t, s, "backup")
}
