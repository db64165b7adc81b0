package node

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestStartErrors checks that a node that cannot start says why in one
// line, whether Start or PID 1 finds the problem.
func TestStartErrors(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, o *Options)
		want  string
		pid1  bool // the error comes from PID 1 in its namespaces
	}{
		{name: "invalid node IP", setup: func(_ *testing.T, o *Options) { o.NodeIP = "172.30.1" },
			want: `invalid node IP "172.30.1": want an IPv4 address`},
		{name: "missing ckat", setup: func(_ *testing.T, o *Options) { o.CkatPath = "/nonexistent/ckat" },
			want: "executable /nonexistent/ckat: lstat /nonexistent: no such file or directory"},
		{name: "kube-apiserver not executable", setup: func(t *testing.T, o *Options) {
			o.KubeAPIServerPath = filepath.Join(t.TempDir(), "kube-apiserver")
			if err := os.WriteFile(o.KubeAPIServerPath, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}, want: "kube-apiserver is not an executable file"},
		{name: "lab dir with a colon", setup: func(t *testing.T, o *Options) {
			o.LabDir = filepath.Join(t.TempDir(), "a:b")
		}, want: "which overlay mounts cannot use: set CKAT_HOME to a plain path"},
		{name: "node etc is a file", pid1: true, setup: func(t *testing.T, o *Options) {
			if err := os.MkdirAll(filepath.Join(o.LabDir, "node"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(o.LabDir, "node", "etc"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}, want: "setting up node controlplane: mkdir " + "LABDIR/node/etc: not a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.pid1 && testing.Short() {
				t.Skip("starts a node in new namespaces")
			}
			apiLn, etcdLn := listen(t), listen(t)
			defer apiLn.Close()
			defer etcdLn.Close()
			labDir := t.TempDir()
			o := Options{LabDir: labDir, NodeName: "controlplane", NodeIP: "172.30.2.10", CkatPath: self,
				APIListener: apiLn, EtcdListener: etcdLn, LogFile: filepath.Join(labDir, "node.log")}
			tc.setup(t, &o)
			pid, err := Start(o)
			if err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
				t.Fatalf("Start succeeded (pid %d), want an error", pid)
			}
			want := strings.ReplaceAll(tc.want, "LABDIR", labDir)
			if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Start error:\n %v\nwant one line containing\n %s", err, want)
			}
		})
	}
}

// TestStartErrorNoNamespaces checks the message for a kernel or sandbox
// that refuses the node's namespaces.
func TestStartErrorNoNamespaces(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EPERM, syscall.EINVAL, syscall.ENOSPC} {
		err := startError(&os.PathError{Op: "fork/exec", Path: "/usr/bin/ckat", Err: errno})
		msg := err.Error()
		want := "cannot create mount, network, UTS and PID namespaces for the node (" + errno.Error() + "): run ckat as root"
		if os.Getuid() != 0 {
			want = "cannot create a user namespace for the node (" + errno.Error() + "): enable unprivileged user namespaces"
		}
		if !strings.HasPrefix(msg, want) || !strings.HasSuffix(msg, "or use --provider kind") || strings.Contains(msg, "\n") {
			t.Errorf("startError(%v) = %q, want %q... or use --provider kind", errno, msg, want)
		}
	}
	if err := startError(&os.PathError{Op: "fork/exec", Path: "/x", Err: syscall.ENOEXEC}); !strings.HasPrefix(err.Error(), "starting the node: ") {
		t.Errorf("startError(ENOEXEC) = %v", err)
	}
}
