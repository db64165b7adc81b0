package agent

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ckat/ckat/internal/log"
)

// TestStoppedAgentLeavesContainersAndNextOneAdoptsThem stops an agent that
// leaves its containers running, as the kubelet does: the pods' processes
// keep running and writing their logs, a manifest edited meanwhile has no
// effect until the next agent starts, and that agent takes over the pod it
// still has (same PID, same restart count) and replaces the edited one.
func TestStoppedAgentLeavesContainersAndNextOneAdoptsThem(t *testing.T) {
	requireIntegration(t)
	n := newTestNode(t)
	n.cfg.KeepPodsOnExit = true
	n.writeManifest(t, "kept.yaml", shellPod("kept", "while true; do echo tick; sleep 0.2; done"))
	n.writeManifest(t, "edited.yaml", shellPod("edited", "echo first; exec sleep 3600"))
	stop := n.run(t)
	kept := n.waitReady(t, "kept.yaml", 0)
	edited := n.waitReady(t, "edited.yaml", 0)
	stop()
	t.Cleanup(func() {
		for _, pid := range []int{kept.PID, edited.PID} {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	})

	require.False(t, processGone(kept.PID), "a container stopped with the agent")
	require.False(t, processGone(edited.PID), "a container stopped with the agent")
	logs, _ := filepath.Glob(filepath.Join(n.cfg.PodLogDir, "kube-system_kept-controlplane_*", "kept", "0.log"))
	require.Len(t, logs, 1)
	size := func() int64 {
		fi, err := os.Stat(logs[0])
		require.NoError(t, err)
		return fi.Size()
	}
	before := size()
	n.writeManifest(t, "edited.yaml", shellPod("edited", "echo second; exec sleep 3600"))
	time.Sleep(time.Second)
	require.Greater(t, size(), before, "the container's log stopped growing without the agent")
	require.False(t, processGone(edited.PID), "an edit took effect while the agent was stopped")

	n.cfg.KeepPodsOnExit = false // this agent stops what it runs at the test's end
	n.start(t)
	n.waitPod(t, "edited.yaml", 20*time.Second, "replaced", func(s PodStatus, ok bool) bool {
		return ok && s.PID != 0 && s.PID != edited.PID
	})
	require.Eventually(t, func() bool { return processGone(edited.PID) }, 10*time.Second, 100*time.Millisecond, "the edited pod's old container was not stopped")
	s := n.waitReady(t, "kept.yaml", 0)
	require.Equal(t, kept.PID, s.PID, "the unchanged pod's container was started anew, not adopted")
	require.Equal(t, 0, s.Restarts)
	require.Contains(t, n.logs.String(), `"Clean up containers for orphaned pod we had not seen before"`)
	require.Equal(t, 1, strings.Count(n.logs.String(), "starting static pod kube-system/kept-controlplane"), "the adopted pod was started twice:\n%s", n.logs.String())
}

// TestKubeletConfigMissingStaticPodPath runs the agent as the kubelet with
// a KubeletConfiguration whose staticPodPath does not exist: no static pod
// runs, and the kubelet's own error is logged.
func TestKubeletConfigMissingStaticPodPath(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(cfgFile, []byte("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nstaticPodPath: manifests\n"), 0o644))
	kc, err := LoadKubeletConfig(cfgFile)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, "manifests"), kc.StaticPodPath, "a relative staticPodPath is resolved against the file's directory")
	require.Equal(t, 20*time.Second, kc.FileCheckFrequency.Duration, "fileCheckFrequency 0 is the kubelet's default")

	require.Equal(t, int32(50), *kc.KubeAPIQPS, "kubeAPIQPS unset is the kubelet's default")
	require.Equal(t, int32(100), kc.KubeAPIBurst, "kubeAPIBurst unset is the kubelet's default")

	_, err = LoadKubeletConfig(filepath.Join(dir, "missing.yaml"))
	require.EqualError(t, err, `failed to load Kubelet config file `+filepath.Join(dir, "missing.yaml")+`, error failed to read kubelet config file "`+filepath.Join(dir, "missing.yaml")+`", error: open `+filepath.Join(dir, "missing.yaml")+`: no such file or directory`)

	require.NoError(t, os.WriteFile(cfgFile, []byte("apiVersion: v1\nkind: Pod\n"), 0o644))
	_, err = LoadKubeletConfig(cfgFile)
	require.ErrorContains(t, err, `failed to decode: no kind "Pod" is registered for version "v1"`)

	_, err = ParseKubeletFlags([]string{"--config=/x", "--bogus"})
	require.EqualError(t, err, "failed to parse kubelet flag: unknown flag: --bogus")
}

// TestKubeletAPIRateLimit: the agent's API client is limited as the
// kubelet's is, by kubeAPIQPS and kubeAPIBurst with the kubelet's defaults
// (50 and 100), not by client-go's 5 a second.
func TestKubeletAPIRateLimit(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config.yaml")
	kubeconfig := filepath.Join(dir, "kubelet.conf")
	require.NoError(t, os.WriteFile(kubeconfig, []byte("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:6443\n"), 0o600))
	base := Config{NodeName: "controlplane"}
	for _, tc := range []struct {
		name, config string
		qps          float32
		burst        int
	}{
		{"unset", "", 50, 100},
		{"set", "kubeAPIQPS: 7\nkubeAPIBurst: 9\n", 7, 9},
		// client-go then takes its own default QPS, as for the kubelet.
		{"qps zero", "kubeAPIQPS: 0\n", 0, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, os.WriteFile(cfgFile, []byte("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"+tc.config), 0o644))
			cfg, _, err := kubeletConfig(KubeletOptions{ConfigFile: cfgFile, Kubeconfig: kubeconfig}, base, log.New(io.Discard, 0))
			require.NoError(t, err)
			qps, burst := cfg.apiRateLimit()
			require.Equal(t, tc.qps, qps)
			require.Equal(t, tc.burst, burst)
		})
	}
	qps, burst := base.apiRateLimit()
	require.Equal(t, []any{float32(50), 100}, []any{qps, burst}, "a Config without a kubelet configuration")
}

// TestMissingStaticPodPathRunsNothing gives the agent a staticPodPath that
// does not exist: no pod runs and the kubelet's error is logged.
func TestMissingStaticPodPathRunsNothing(t *testing.T) {
	requireIntegration(t)
	n := newTestNode(t)
	n.writeManifest(t, "sleeper.yaml", shellPod("sleeper", "exec sleep 3600"))
	n.cfg.ManifestDir += "-typo"
	n.start(t)
	require.Eventually(t, func() bool {
		return strings.Contains(n.logs.String(), `"Unable to read config path" err="path does not exist, ignoring" path="`+n.cfg.ManifestDir+`"`)
	}, 5*time.Second, 100*time.Millisecond, "log:\n%s", n.logs.String())
	time.Sleep(time.Second)
	require.Empty(t, n.status(t), "a pod runs without a static pod path")
}
