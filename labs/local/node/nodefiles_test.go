package node

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestClaimDirs gives the node's upper layer the host's directories down
// to the claim depth, with their modes, leaving alone what the node
// deleted (a non-directory in the upper layer) or replaced (an opaque
// directory).
func TestClaimDirs(t *testing.T) {
	lower, upper := t.TempDir(), t.TempDir()
	for _, d := range []string{"lib/etcd/member/snap", "deleted/sub", "opaque/sub", "tmp"} {
		if err := os.MkdirAll(filepath.Join(lower, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(lower, "tmp"), 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(lower, "lib", "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(upper, "deleted"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(upper, "opaque"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Lsetxattr(filepath.Join(upper, "opaque"), "user.overlay.opaque", []byte("y"), 0); err != nil {
		t.Skipf("no user xattrs here: %v", err)
	}

	if err := claimDirs(lower, upper, 3); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{
		"lib": os.ModeDir | 0o755, "lib/etcd": os.ModeDir | 0o755, "lib/etcd/member": os.ModeDir | 0o755,
		"tmp": os.ModeDir | os.ModeSticky | 0o777, "deleted": 0o644, "opaque": os.ModeDir | 0o755,
	} {
		fi, err := os.Lstat(filepath.Join(upper, path))
		if err != nil || fi.Mode() != want {
			t.Errorf("upper/%s: %v, %v; want mode %v", path, fi, err, want)
		}
	}
	for _, path := range []string{"lib/etcd/member/snap", "lib/file", "opaque/sub", "deleted/sub"} {
		if _, err := os.Lstat(filepath.Join(upper, path)); err == nil {
			t.Errorf("upper/%s was created", path)
		}
	}
}

// TestWriteCrictlConfig writes kubeadm's /etc/crictl.yaml once, and
// leaves alone one the node has, or has deleted (a whiteout).
func TestWriteCrictlConfig(t *testing.T) {
	etc := t.TempDir()
	if err := writeCrictlConfig(etc); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(etc, "crictl.yaml"))
	want := "runtime-endpoint: unix:///run/containerd/containerd.sock\nimage-endpoint: unix:///run/containerd/containerd.sock\ntimeout: 10\ndebug: false\n"
	if err != nil || string(data) != want {
		t.Fatalf("crictl.yaml: %q, %v; want %q", data, err, want)
	}
	if err := os.WriteFile(filepath.Join(etc, "crictl.yaml"), []byte("debug: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeCrictlConfig(etc); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(etc, "crictl.yaml")); string(data) != "debug: true\n" {
		t.Errorf("the node's own crictl.yaml was replaced: %q", data)
	}
}
