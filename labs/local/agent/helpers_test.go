package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"text/template"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/internal/testbin"
	"github.com/ckat/ckat/labs/local/shim"
)

// TestMain lets the test binary stand in for ckat-shim, which the agent
// runs for each container (`__shim` and `__container`).
func TestMain(m *testing.M) {
	if code, ok := shim.RunCommand(os.Args[1:]); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// requireIntegration skips under -short and where mounts cannot be made.
func requireIntegration(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: runs real processes")
	}
	if os.Geteuid() != 0 {
		t.Skip("the agent makes mounts: run as root")
	}
}

// syncBuffer is a log sink tests can read while the agent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testNode is an agent running on temporary directories.
type testNode struct {
	cfg  Config
	logs *syncBuffer
	root string
}

// startAgent runs the agent on a new test node until the test ends.
func startAgent(t testing.TB) *testNode {
	t.Helper()
	n := newTestNode(t)
	n.start(t)
	return n
}

// newTestNode lays out a node's directories under a temporary root.
func newTestNode(t testing.TB) *testNode {
	t.Helper()
	root := t.TempDir()
	n := &testNode{root: root, logs: &syncBuffer{}, cfg: Config{
		NodeName:     "controlplane",
		NodeIP:       "127.0.0.1",
		ManifestDir:  filepath.Join(root, "etc/kubernetes/manifests"),
		PodLogDir:    filepath.Join(root, "var/log/pods"),
		StatusFile:   filepath.Join(root, "run/ckat/pods.json"),
		ContainerDir: filepath.Join(root, "run/ckat/containers"),
		Binaries:     map[string]string{"etcd": testbin.Ckat(t)},
		// Re-read the directory more often than the kubelet's 20s, so
		// that tests see what a re-read does in a few seconds.
		FileCheckFrequency: 3 * time.Second,
	}}
	require.NoError(t, os.MkdirAll(n.cfg.ManifestDir, 0o755))
	return n
}

// start runs the agent until the test ends.
func (n *testNode) start(t testing.TB) {
	t.Helper()
	t.Cleanup(n.run(t))
}

// run runs the agent and returns the function that stops it and checks
// it returned without error.
func (n *testNode) run(t testing.TB) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, n.cfg, log.New(n.logs, 1)) }()
	return func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(30 * time.Second):
			t.Error("the agent did not stop within 30s")
		}
		if t.Failed() {
			t.Logf("agent log:\n%s", n.logs.String())
			logs, _ := filepath.Glob(filepath.Join(n.cfg.PodLogDir, "*", "*", "*.log"))
			for _, l := range logs {
				data, _ := os.ReadFile(l)
				lines := strings.Split(strings.TrimSpace(string(data)), "\n")
				t.Logf("%s (last lines):\n%s", l, strings.Join(lines[max(0, len(lines)-15):], "\n"))
			}
		}
	}
}

// writeManifest writes a manifest into the manifest directory.
func (n *testNode) writeManifest(t testing.TB, name, content string) {
	t.Helper()
	tmp := filepath.Join(n.cfg.ManifestDir, "."+name+".tmp")
	require.NoError(t, os.WriteFile(tmp, []byte(content), 0o644))
	require.NoError(t, os.Rename(tmp, filepath.Join(n.cfg.ManifestDir, name)))
}

// status reads the status file.
func (n *testNode) status(t testing.TB) map[string]PodStatus {
	t.Helper()
	data, err := os.ReadFile(n.cfg.StatusFile)
	if os.IsNotExist(err) {
		return nil // the agent has not started yet
	}
	require.NoError(t, err)
	list, err := ParseStatus(data)
	require.NoError(t, err)
	out := map[string]PodStatus{}
	for _, s := range list {
		out[s.Manifest] = s
	}
	return out
}

// waitPod waits until the pod of manifest file satisfies cond.
func (n *testNode) waitPod(t testing.TB, file string, timeout time.Duration, what string, cond func(PodStatus, bool) bool) PodStatus {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s, ok := n.status(t)[file]
		if cond(s, ok) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not %s after %s; status: %+v", file, what, timeout, s)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitReady waits for a running, ready pod other than the one with pid
// notPID, and returns it.
func (n *testNode) waitReady(t testing.TB, file string, notPID int) PodStatus {
	t.Helper()
	return n.waitPod(t, file, 60*time.Second, "ready", func(s PodStatus, ok bool) bool {
		return ok && s.Ready && s.PID != 0 && s.PID != notPID
	})
}

// freePorts returns n TCP ports free on 127.0.0.1.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var out []int
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}

// etcdPod is the parameters of a test etcd manifest shaped like kubeadm's.
type etcdPod struct {
	ClientPort, PeerPort, MetricsPort int
	DataDir                           string // --data-dir
	HostPath                          string // the etcd-data volume's hostPath
}

func newEtcdPod(t testing.TB, hostPath string) etcdPod {
	p := freePorts(t, 3)
	return etcdPod{ClientPort: p[0], PeerPort: p[1], MetricsPort: p[2], DataDir: "/var/lib/etcd", HostPath: hostPath}
}

func (e etcdPod) endpoint() string { return fmt.Sprintf("http://127.0.0.1:%d", e.ClientPort) }

var etcdManifest = template.Must(template.New("etcd").Parse(`apiVersion: v1
kind: Pod
metadata:
  labels:
    component: etcd
    tier: control-plane
  name: etcd
  namespace: kube-system
spec:
  containers:
  - command:
    - etcd
    - --advertise-client-urls=http://127.0.0.1:{{.ClientPort}}
    - --data-dir={{.DataDir}}
    - --initial-advertise-peer-urls=http://127.0.0.1:{{.PeerPort}}
    - --initial-cluster=controlplane=http://127.0.0.1:{{.PeerPort}}
    - --listen-client-urls=http://127.0.0.1:{{.ClientPort}}
    - --listen-metrics-urls=http://127.0.0.1:{{.MetricsPort}}
    - --listen-peer-urls=http://127.0.0.1:{{.PeerPort}}
    - --name=controlplane
    - --snapshot-count=10000
    image: registry.k8s.io/etcd:3.7.3-0
    name: etcd
    readinessProbe:
      httpGet:
        host: 127.0.0.1
        path: /readyz
        port: {{.MetricsPort}}
        scheme: HTTP
    volumeMounts:
    - mountPath: /var/lib/etcd
      name: etcd-data
  hostNetwork: true
  priorityClassName: system-node-critical
  volumes:
  - hostPath:
      path: {{.HostPath}}
      type: DirectoryOrCreate
    name: etcd-data
`))

func (e etcdPod) manifest(t testing.TB) string {
	var b bytes.Buffer
	require.NoError(t, etcdManifest.Execute(&b, e))
	return b.String()
}

// waitLogged waits until the first run of the shell pod name (see
// shellPod) has logged line.
func (n *testNode) waitLogged(t testing.TB, name, line string) {
	t.Helper()
	require.Eventually(t, func() bool {
		logs, _ := filepath.Glob(filepath.Join(n.cfg.PodLogDir, "kube-system_"+name+"-controlplane_*", name, "0.log"))
		if len(logs) != 1 {
			return false
		}
		data, _ := os.ReadFile(logs[0])
		return strings.Contains(string(data), line)
	}, 30*time.Second, 50*time.Millisecond, "pod %s logged %q", name, line)
}

// shellPod is a manifest running a shell script.
func shellPod(name, script string) string {
	js, _ := json.Marshal(script)
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
  namespace: kube-system
spec:
  hostNetwork: true
  containers:
  - name: %s
    image: busybox
    command: ["sh", "-c", %s]
`, name, name, js)
}
