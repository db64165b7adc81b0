package node

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ckat/ckat/internal/testbin"
)

// TestNodeWithCkat runs a node on the built ckat, as a lab does: ckat is
// PID 1 and the real node agent, and the tools on the node's PATH are
// ckat's multi-call etcdctl, etcdutl and kubectl.
func TestNodeWithCkat(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node in new namespaces")
	}
	bin := testbin.Dir(t, "ckat")
	ckat, apiserver := filepath.Join(bin, "ckat"), filepath.Join(bin, "kube-apiserver")
	for _, p := range []string{ckat, apiserver} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s is missing: run make build", p)
		}
	}
	labDir := t.TempDir()
	// What kubeadm init leaves for the kubelet, without an API server.
	for path, data := range map[string]string{
		"etc/kubernetes/kubelet.conf":    "apiVersion: v1\nkind: Config\nclusters:\n- name: kubernetes\n  cluster:\n    server: https://127.0.0.1:6443\n",
		"var/lib/kubelet/config.yaml":    "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nstaticPodPath: /etc/kubernetes/manifests\n",
		"etc/kubernetes/manifests/.keep": "",
	} {
		p := filepath.Join(labDir, "node", path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	apiLn, etcdLn := listen(t), listen(t)
	defer apiLn.Close()
	defer etcdLn.Close()
	logFile := filepath.Join(labDir, "node.log")
	pid, err := Start(Options{LabDir: labDir, NodeName: "controlplane", NodeIP: "172.30.13.10",
		CkatPath: ckat, KubeAPIServerPath: apiserver, APIListener: apiLn, EtcdListener: etcdLn, LogFile: logFile})
	if err != nil {
		t.Fatalf("Start: %v\n%s", err, readLog(logFile))
	}
	n := &testNode{labDir: labDir, pid: pid, logFile: logFile, node: New("controlplane", pid)}
	t.Cleanup(func() { n.kill(t) })

	for _, tc := range []struct{ script, want string }{
		{"for t in etcdctl etcdutl kubectl systemctl journalctl; do command -v $t; done", "/usr/local/bin/etcdctl\n/usr/local/bin/etcdutl\n/usr/local/bin/kubectl\n/usr/local/bin/systemctl\n/usr/local/bin/journalctl\n"},
		{"kubelet --version", "Kubernetes v1.37.2\n"},
		{"etcdctl version | head -1", "etcdctl version: 3.7.3\n"},
		{"etcdutl version | head -1", "etcdutl version: 3.7.3\n"},
		{"kubectl version --client | head -1", "Client Version: v1.37.2\n"},
		{"/run/ckat/bin/kube-apiserver --version", "Kubernetes v1.37.2\n"},
	} {
		if got := n.must(t, tc.script); got != tc.want {
			t.Errorf("%s on the node printed %q, want %q", tc.script, got, tc.want)
		}
	}
	// The real agent, started as the kubelet's unit, writes its status
	// file once it runs.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := n.node.Stat(context.Background(), "/run/ckat/pods.json")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the agent wrote no /run/ckat/pods.json: %v\nlog:\n%s", err, readLog(logFile))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := n.must(t, "systemctl is-active kubelet; ps -o comm= -p $(pidof kubelet)"); got != "active\nkubelet\n" {
		t.Errorf("the kubelet's unit and process: %q, want active and a process called kubelet", got)
	}
	n.stop(t)
	if log := readLog(logFile); !strings.Contains(log, "kubelet.service: Deactivated successfully.") {
		t.Errorf("the kubelet did not stop cleanly on SIGTERM:\n%s", log)
	}
}
