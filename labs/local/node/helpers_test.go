package node

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ckat/ckat/labs"
)

// testNode is a node started by a test.
type testNode struct {
	labDir, ip string
	pid        int
	api, etcd  string // host addresses of the forwarded ports
	node       labs.Node
	logFile    string
}

// startNode starts a node for labDir with the test binary as its ckat and
// stops it when the test ends.
func startNode(t testing.TB, labDir, ip string) *testNode {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return startNodeFrom(t, labDir, ip, self)
}

// startNodeFrom starts a node with the executable self (a copy of the
// test binary) as its ckat and stops it when the test ends.
func startNodeFrom(t testing.TB, labDir, ip, self string) *testNode {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a node in new namespaces")
	}
	apiLn := listen(t)
	etcdLn := listen(t)
	defer apiLn.Close()
	defer etcdLn.Close()
	var err error
	n := &testNode{labDir: labDir, ip: ip, logFile: filepath.Join(labDir, "run", "node.log"),
		api: apiLn.Addr().String(), etcd: etcdLn.Addr().String()}
	if err := os.MkdirAll(filepath.Join(labDir, "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	n.pid, err = Start(Options{
		LabDir: labDir, NodeName: "controlplane", NodeIP: ip,
		CkatPath: self, KubeAPIServerPath: self,
		APIListener: apiLn, EtcdListener: etcdLn, LogFile: n.logFile,
	})
	if err != nil {
		t.Fatalf("Start: %v\nlog:\n%s", err, readLog(n.logFile))
	}
	n.node = New("controlplane", n.pid)
	t.Cleanup(func() { n.kill(t) })
	n.waitAgent(t)
	return n
}

// waitAgent waits until the stand-in agent listens.
func (n *testNode) waitAgent(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := n.node.Stat(context.Background(), agentReadyFile)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stand-in agent is not ready: %v\nlog:\n%s", err, readLog(n.logFile))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func listen(t testing.TB) *net.TCPListener {
	t.Helper()
	ln, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func readLog(path string) string {
	data, _ := os.ReadFile(path)
	return string(data)
}

// stop sends SIGTERM to PID 1 and waits for it to go.
func (n *testNode) stop(t *testing.T) {
	t.Helper()
	_ = syscall.Kill(n.pid, syscall.SIGTERM)
	if !waitGone(n.pid, 25*time.Second) {
		t.Fatalf("node pid %d still runs 25 s after SIGTERM", n.pid)
	}
}

// kill kills PID 1 and waits for it to go.
func (n *testNode) kill(t testing.TB) {
	_ = syscall.Kill(n.pid, syscall.SIGKILL)
	if !waitGone(n.pid, 10*time.Second) {
		t.Errorf("node pid %d still runs after SIGKILL", n.pid)
	}
}

// waitGone waits until pid no longer exists or is a zombie (Start's
// goroutine reaps it if this process started it).
func waitGone(pid int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) || procState(pid) == "Z" {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// run runs args on the node and returns its stdout, stderr and error.
func (n *testNode) run(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := n.node.Exec(ctx, labs.Command{Args: args, Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut})
	return out.String(), errOut.String(), err
}

// must runs a shell script on the node and fails the test if it fails.
func (n *testNode) must(t *testing.T, script string) string {
	t.Helper()
	out, errOut, err := n.run(t, "", "sh", "-c", script)
	if err != nil {
		t.Fatalf("%s: %v\nstderr: %s", script, err, errOut)
	}
	return out
}

// greeting connects to addr and returns the first line the stand-in
// agent writes.
func greeting(t *testing.T, addr string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("reading from %s: %v", addr, err)
	}
	return strings.TrimSpace(line)
}

// nsProcesses lists host PIDs of processes in the PID namespace of pid,
// as read before it exited (ns is its /proc/PID/ns/pid link).
func nsProcesses(ns string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if link, err := os.Readlink("/proc/" + e.Name() + "/ns/pid"); err == nil && link == ns {
			pids = append(pids, pid)
		}
	}
	return pids
}

// hostEntries lists the names in a host directory.
func hostEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names
}

func itoa(i int) string { return strconv.Itoa(i) }
