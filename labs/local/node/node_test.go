package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ckat/ckat/labs"
)

// TestNode starts a node and checks what a learner and the grader see in
// it: the hostname, the node IP, the forwarded ports, the node's own /etc,
// the tools, and commands run through Exec.
func TestNode(t *testing.T) {
	labDir := t.TempDir()
	hostEtc := hostEntries(t, "/etc")
	n := startNode(t, labDir, "172.30.7.10")

	t.Run("user namespace", func(t *testing.T) {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/uid_map", n.pid))
		if err != nil {
			t.Fatal(err)
		}
		want := "0 0 4294967295" // root keeps the host's user namespace
		if uid := os.Getuid(); uid != 0 {
			want = fmt.Sprintf("0 %d 1", uid)
		}
		if got := strings.Join(strings.Fields(string(data)), " "); got != want {
			t.Errorf("the node's uid_map is %q, want %q", got, want)
		}
	})
	t.Run("hostname", func(t *testing.T) {
		if got := strings.TrimSpace(n.must(t, "hostname")); got != "controlplane" {
			t.Errorf("hostname = %q, want controlplane", got)
		}
	})
	t.Run("node IP on lo", func(t *testing.T) {
		got := n.must(t, CkatBin+" __probe addrs")
		if !strings.Contains(got, "172.30.7.10/32") || !strings.Contains(got, "127.0.0.1/8") || !strings.Contains(got, "up") {
			t.Errorf("lo on the node: %q, want up with 127.0.0.1/8 and 172.30.7.10/32", got)
		}
	})
	t.Run("forwarded ports", func(t *testing.T) {
		if got := greeting(t, n.api); got != "6443 controlplane" {
			t.Errorf("host API port answered %q, want the node's 6443", got)
		}
		if got := greeting(t, n.etcd); got != "2379 controlplane" {
			t.Errorf("host etcd port answered %q, want the node's 2379", got)
		}
		c, err := net.Dial("tcp", n.api)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		_ = c.(*net.TCPConn).CloseWrite()
		if got, err := io.ReadAll(c); err != nil || string(got) != "6443 controlplane\nping" {
			t.Errorf("echo through the API port: %q, %v; want the greeting and ping, then EOF", got, err)
		}
		if got := strings.TrimSpace(n.must(t, CkatBin+" __probe dial 172.30.7.10:6443")); got != "6443 controlplane" {
			t.Errorf("NODE_IP:6443 on the node answered %q", got)
		}
	})
	t.Run("etc is the node's own", func(t *testing.T) {
		n.must(t, "mkdir -p /etc/kubernetes/manifests && echo kept > /etc/kubernetes/manifests/x.yaml")
		if _, err := os.Stat("/etc/kubernetes/manifests/x.yaml"); err == nil {
			t.Fatal("the node's file appeared on the host")
		}
		data, err := os.ReadFile(filepath.Join(labDir, "node/etc/kubernetes/manifests/x.yaml"))
		if err != nil || string(data) != "kept\n" {
			t.Errorf("node/etc/kubernetes/manifests/x.yaml = %q, %v; want kept", data, err)
		}
		if got := n.must(t, "grep controlplane /etc/hosts"); !strings.Contains(got, "172.30.7.10") {
			t.Errorf("/etc/hosts on the node: %q, want controlplane at 172.30.7.10", got)
		}
		if !slices.Equal(hostEntries(t, "/etc"), hostEtc) {
			t.Errorf("the host's /etc changed: %v, was %v", hostEntries(t, "/etc"), hostEtc)
		}
	})
	t.Run("tools link to ckat", func(t *testing.T) {
		for _, tool := range Tools {
			got := strings.TrimSpace(n.must(t, "command -v "+tool+"; readlink /usr/local/bin/"+tool))
			if want := "/usr/local/bin/" + tool + "\n" + CkatBin; got != want {
				t.Errorf("%s on the node: %q, want %q", tool, got, want)
			}
		}
	})
	t.Run("agent config", func(t *testing.T) {
		data, err := n.node.ReadFile(context.Background(), AgentConfigFile)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`"nodeName": "controlplane"`, `"nodeIP": "172.30.7.10"`, `"manifestDir": "/etc/kubernetes/manifests"`, `"kube-apiserver": "/run/ckat/bin/kube-apiserver"`} {
			if !strings.Contains(string(data), want) {
				t.Errorf("agent.json lacks %s:\n%s", want, data)
			}
		}
	})
	t.Run("exec", func(t *testing.T) { testExec(t, n) })
	t.Run("files", func(t *testing.T) { testFiles(t, n) })
	t.Run("realpath", func(t *testing.T) { testRealPath(t, n) })
	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := n.node.Exec(ctx, labs.Command{Args: []string{"sleep", "31"}})
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 3*time.Second {
			t.Errorf("Exec(sleep 31) with a 300ms context = %v after %s, want the deadline error at once", err, time.Since(start))
		}
		if got := n.must(t, "ps -eo args | grep -c '^sleep 31$' || true"); strings.TrimSpace(got) != "0" {
			t.Errorf("%s processes 'sleep 31' left on the node, want 0", strings.TrimSpace(got))
		}
	})
}

func testExec(t *testing.T, n *testNode) {
	tests := []struct {
		name           string
		cmd            labs.Command
		stdin          string
		stdout, stderr string
		code           int
	}{
		{name: "stdio and status", cmd: labs.Command{Args: []string{"sh", "-c", "cat; echo oops >&2; exit 3"}}, stdin: "hello\n",
			stdout: "hello\n", stderr: "oops\n", code: 3},
		{name: "environment", cmd: labs.Command{Args: []string{"sh", "-c", `echo "$PATH|$HOME|$KUBECONFIG|$HOSTNAME|$(pwd)|$EXTRA"`}, Env: []string{"EXTRA=yes"}},
			stdout: Path + "|/root|/etc/kubernetes/admin.conf|controlplane|/root|yes\n"},
		{name: "directory", cmd: labs.Command{Args: []string{"pwd"}, Dir: "/etc/kubernetes"}, stdout: "/etc/kubernetes\n"},
		{name: "root in the node", cmd: labs.Command{Args: []string{"id", "-u"}}, stdout: "0\n"},
		{name: "command not found", cmd: labs.Command{Args: []string{"no-such-command", "x"}},
			stderr: "ckat exec: no-such-command: command not found\n", code: 127},
		{name: "background process keeps the output open", cmd: labs.Command{Args: []string{"sh", "-c", "echo started; sleep 30 &"}},
			stdout: "started\n"},
		{name: "killed by a signal", cmd: labs.Command{Args: []string{"sh", "-c", "kill -TERM $$"}}, code: 128 + 15},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut strings.Builder
			tc.cmd.Stdin, tc.cmd.Stdout, tc.cmd.Stderr = strings.NewReader(tc.stdin), &out, &errOut
			err := n.node.Exec(context.Background(), tc.cmd)
			code := 0
			var ee *labs.ExitError
			if errors.As(err, &ee) {
				code = ee.Code
			} else if err != nil {
				t.Fatalf("Exec: %v", err)
			}
			if code != tc.code || out.String() != tc.stdout || errOut.String() != tc.stderr {
				t.Errorf("got status %d, stdout %q, stderr %q; want %d, %q, %q", code, out.String(), errOut.String(), tc.code, tc.stdout, tc.stderr)
			}
		})
	}
}

func testFiles(t *testing.T, n *testNode) {
	n.must(t, `set -e
mkdir -p /root/files/dir
echo node-only > /tmp/ckat-node-only
echo inside > /root/files/dir/f
ln -sfn /tmp/ckat-node-only /root/files/abs
ln -sfn dir/f /root/files/rel
ln -sfn ../../../../../../../../tmp/ckat-node-only /root/files/up
ln -sfn /root/files/dir /root/files/dirlink
ln -sfn /root/files/loop2 /root/files/loop1
ln -sfn /root/files/loop1 /root/files/loop2
ln -sfn /root/files/dir/f /root/files/dir/f-as-dir-parent`)
	if _, err := os.Stat("/tmp/ckat-node-only"); err == nil {
		t.Fatal("the node's /tmp file is on the host")
	}
	ctx := context.Background()
	reads := []struct {
		path, want string
		err        error
	}{
		{path: "/root/files/abs", want: "node-only\n"},
		{path: "/root/files/rel", want: "inside\n"},
		{path: "/root/files/up", want: "node-only\n"},
		{path: "/root/files/dirlink/f", want: "inside\n"},
		{path: "/root/files/dirlink/../dir/./f", want: "inside\n"},
		{path: "/root/files/loop1", err: syscall.ELOOP},
		{path: "/root/files/missing", err: fs.ErrNotExist},
		{path: "/root/files/dir/f-as-dir-parent/x", err: syscall.ENOTDIR},
	}
	for _, r := range reads {
		got, err := n.node.ReadFile(ctx, r.path)
		if r.err != nil {
			if !errors.Is(err, r.err) || !strings.Contains(err.Error(), r.path) {
				t.Errorf("ReadFile(%s) = %q, %v; want an error for %s with %v", r.path, got, err, r.path, r.err)
			}
			continue
		}
		if err != nil || string(got) != r.want {
			t.Errorf("ReadFile(%s) = %q, %v; want %q", r.path, got, err, r.want)
		}
	}

	fi, err := n.node.Lstat(ctx, "/root/files/abs")
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 || fi.Name() != "abs" {
		t.Errorf("Lstat(abs) = %v, %v; want a symlink named abs", fi, err)
	}
	fi, err = n.node.Stat(ctx, "/root/files/abs")
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != int64(len("node-only\n")) || fi.Name() != "abs" {
		t.Errorf("Stat(abs) = %v, %v; want the 10-byte file it points to, named abs", fi, err)
	}
	entries, err := n.node.ReadDir(ctx, "/root/files")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"abs", "dir", "dirlink", "loop1", "loop2", "rel", "up"}
	if !slices.Equal(names, want) {
		t.Errorf("ReadDir = %v, want %v", names, want)
	}
	if info, err := entries[0].Info(); err != nil || info.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("ReadDir entry abs Info = %v, %v; want a symlink", info, err)
	}
	hp, release, err := n.node.HostPath(ctx, "/root/files/up")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if data, err := os.ReadFile(hp); err != nil || string(data) != "node-only\n" {
		t.Errorf("HostPath = %s, reading it: %q, %v", hp, data, err)
	}
}
