package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/procfs"

	"github.com/ckat/ckat/internal/kubeadm"
)

// TestNodeRestartKeepsFiles stops a node with SIGTERM and starts it again:
// what was written to /etc, /var, /root and /opt is still there, /run
// starts empty, and the stand-in agent was stopped through SIGTERM. The
// node's root can create directories in the host's (as an unprivileged
// user too), as a restore to /var/lib/etcd-from-backup does.
func TestNodeRestartKeepsFiles(t *testing.T) {
	labDir := t.TempDir()
	n := startNode(t, labDir, "172.30.8.10")
	n.must(t, `set -e
mkdir -p /etc/kubernetes/pki /var/lib/etcd-from-backup /opt/backup
echo etc > /etc/kubernetes/pki/ca.crt
echo var > /var/lib/etcd-from-backup/db
echo root > /root/notes
echo opt > /opt/backup/snap.db
echo run > /run/ckat/scratch`)
	n.stop(t)
	if log := readLog(n.logFile); !strings.Contains(log, "stand-in agent: stopping") || !strings.Contains(log, "kubelet.service: Deactivated successfully.") {
		t.Errorf("node log after SIGTERM lacks the agent's stop:\n%s", log)
	}

	n = startNode(t, labDir, "172.30.8.10")
	ctx := context.Background()
	for path, want := range map[string]string{
		"/etc/kubernetes/pki/ca.crt": "etc\n", "/var/lib/etcd-from-backup/db": "var\n", "/root/notes": "root\n", "/opt/backup/snap.db": "opt\n",
	} {
		if got, err := n.node.ReadFile(ctx, path); err != nil || string(got) != want {
			t.Errorf("after a restart %s = %q, %v; want %q", path, got, err, want)
		}
	}
	if _, err := n.node.Stat(ctx, "/run/ckat/scratch"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("/run kept a file across a restart: %v", err)
	}
	if got := n.must(t, "grep -c controlplane /etc/hosts"); strings.TrimSpace(got) != "1" {
		t.Errorf("/etc/hosts names controlplane %s times after a restart, want 1", got)
	}
}

// TestNodeKillLeavesNothing kills PID 1: every process of the node goes
// with it, and the node reports that it no longer runs.
func TestNodeKillLeavesNothing(t *testing.T) {
	n := startNode(t, t.TempDir(), "172.30.9.10")
	ns, err := os.Readlink(filepath.Join("/proc", itoa(n.pid), "ns", "pid"))
	if err != nil {
		t.Fatal(err)
	}
	// The stand-in agent keeps a sleep; an orphan is started too.
	n.must(t, "sleep 3600 >/dev/null 2>&1 &")
	deadline := time.Now().Add(5 * time.Second)
	for len(nsProcesses(ns)) < 4 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := len(nsProcesses(ns)); got < 4 {
		t.Fatalf("the node has %d processes, want PID 1, the agent and two sleeps", got)
	}
	n.kill(t)
	deadline = time.Now().Add(5 * time.Second)
	for len(nsProcesses(ns)) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if left := nsProcesses(ns); len(left) > 0 {
		t.Errorf("processes left after killing PID 1: %v", left)
	}
	_, err = n.node.ReadFile(context.Background(), "/etc/hostname")
	if !errors.Is(err, ErrNotRunning) || errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadFile on a dead node: %v, want ErrNotRunning (and not ErrNotExist)", err)
	}
	_, _, err = n.run(t, "", "true")
	if !errors.Is(err, ErrNotRunning) {
		t.Errorf("Exec on a dead node: %v, want ErrNotRunning", err)
	}
}

// TestNodeRestartsExitedKubelet makes the kubelet exit: PID 1 keeps the
// node up and starts the kubelet again after the unit's RestartSec, as
// systemd's Restart=always does, and orphans it reaped do not linger as
// zombies meanwhile.
func TestNodeRestartsExitedKubelet(t *testing.T) {
	labDir := t.TempDir()
	unit := filepath.Join(labDir, "node", kubeadm.KubeletServiceFile)
	if err := os.MkdirAll(filepath.Dir(unit), 0o755); err != nil {
		t.Fatal(err)
	}
	fast := strings.Replace(kubeadm.KubeletServiceText, "RestartSec=10", "RestartSec=3", 1)
	if err := os.WriteFile(unit, []byte(fast), 0o644); err != nil {
		t.Fatal(err)
	}
	n := startNode(t, labDir, "172.30.10.10")
	n.must(t, "sh -c 'true &' ; sleep 0.2")
	ns, _ := os.Readlink(filepath.Join("/proc", itoa(n.pid), "ns", "pid"))
	for _, pid := range nsProcesses(ns) {
		if state := procState(pid); state == "Z" {
			t.Errorf("zombie pid %d in the node", pid)
		}
	}
	n.must(t, "echo 7 > "+agentExitFile)
	status := ""
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(status, "activating (auto-restart) (Result: exit-code)") && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		status, _, _ = n.run(t, "", "systemctl", "status", "kubelet")
	}
	for _, want := range []string{"Active: activating (auto-restart) (Result: exit-code) since ", "(code=exited, status=7/NOTRUNNING)",
		"systemd[1]: kubelet.service: Main process exited, code=exited, status=7/NOTRUNNING"} {
		if !strings.Contains(status, want) {
			t.Errorf("systemctl status after the kubelet exited lacks %q:\n%s", want, status)
		}
	}
	n.waitAgent(t)
	if waitGone(n.pid, 100*time.Millisecond) {
		t.Fatal("PID 1 exited with its kubelet")
	}
	if got := n.must(t, "systemctl is-active kubelet"); got != "active\n" {
		t.Errorf("systemctl is-active kubelet after the restart: %q, want active", got)
	}
	if log := n.must(t, "journalctl -u kubelet --no-pager"); !strings.Contains(log, "systemd[1]: kubelet.service: Scheduled restart job, restart counter is at 1.") {
		t.Errorf("the journal lacks the restart:\n%s", log)
	}
}

// TestNodeStopsStubbornAgent sends SIGTERM to a node whose agent ignores
// it: PID 1 gives up after its stop timeout, and nothing is left.
func TestNodeStopsStubbornAgent(t *testing.T) {
	n := startNode(t, t.TempDir(), "172.30.18.10")
	ns, _ := os.Readlink(filepath.Join("/proc", itoa(n.pid), "ns", "pid"))
	n.must(t, "touch "+agentStubbornFile)
	start := time.Now()
	n.stop(t)
	if took := time.Since(start); took < testStopTimeout/2 {
		t.Errorf("PID 1 exited %s after SIGTERM, before the kubelet's %s timeout", took, testStopTimeout/2)
	}
	log := readLog(n.logFile)
	if !strings.Contains(log, "stand-in agent: ignoring SIGTERM") || !strings.Contains(log, "the kubelet did not stop within 1s; stopping every process of the node") {
		t.Errorf("node log:\n%s", log)
	}
	time.Sleep(100 * time.Millisecond)
	if left := nsProcesses(ns); len(left) > 0 {
		t.Errorf("processes left: %v", left)
	}
}

// TestNodeOutlivesStarter starts a node from a process that then exits,
// as `ckat lab create` does: the node keeps running and serving.
func TestNodeOutlivesStarter(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node in new namespaces")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	labDir := t.TempDir()
	out, err := exec.Command(self, "__startnode", labDir, "172.30.19.10").Output()
	if err != nil {
		t.Fatalf("starting a node from another process: %v", err)
	}
	var pid int
	var api string
	if _, err := fmt.Sscan(string(out), &pid, &api); err != nil {
		t.Fatalf("the starter printed %q: %v", out, err)
	}
	n := &testNode{labDir: labDir, pid: pid, api: api, logFile: filepath.Join(labDir, "node.log"), node: New("controlplane", pid)}
	t.Cleanup(func() { n.kill(t) })
	n.waitAgent(t)
	if got := strings.TrimSpace(n.must(t, "hostname")); got != "controlplane" {
		t.Errorf("hostname on the node = %q", got)
	}
	if got := greeting(t, api); got != "6443 controlplane" {
		t.Errorf("API port answered %q", got)
	}
}

// TestTwoNodes runs two nodes at once: each has its own ports, address
// and files.
func TestTwoNodes(t *testing.T) {
	a := startNode(t, t.TempDir(), "172.30.11.10")
	b := startNode(t, t.TempDir(), "172.30.12.10")
	a.must(t, "echo a > /etc/which")
	b.must(t, "echo b > /etc/which")
	for _, tc := range []struct {
		n    *testNode
		want string
		ip   string
	}{{a, "a\n", "172.30.11.10/32"}, {b, "b\n", "172.30.12.10/32"}} {
		if got := tc.n.must(t, "cat /etc/which"); got != tc.want {
			t.Errorf("/etc/which = %q, want %q", got, tc.want)
		}
		if got := greeting(t, tc.n.api); got != "6443 controlplane" {
			t.Errorf("API port answered %q", got)
		}
		if got := tc.n.must(t, CkatBin+" __probe addrs"); !strings.Contains(got, tc.ip) {
			t.Errorf("lo = %q, want %s", got, tc.ip)
		}
	}
}

// procState is the state letter of /proc/PID/stat; empty for a process
// gone.
func procState(pid int) string {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return ""
	}
	st, err := p.Stat()
	if err != nil {
		return ""
	}
	return st.State
}
