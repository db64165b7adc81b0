package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestResolve resolves paths in a directory standing for a node's root:
// symlinks resolve as the node would see them and never lead outside.
func TestResolve(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"etc/kubernetes", "var/lib"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "etc/kubernetes/admin.conf"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"abs":            "/etc/kubernetes",
		"rel":            "etc/kubernetes/admin.conf",
		"var/lib/up":     "../../../../../../etc",
		"var/lib/hostfs": root, // the host path of the root means nothing inside it
		"chain1":         "chain2",
		"chain2":         "/abs/admin.conf",
		"loop1":          "loop2",
		"loop2":          "/loop1",
		"file-parent":    "/rel/x",
	}
	for link, target := range links {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	// A chain of exactly 40 links resolves; 41 is a loop.
	for i := 1; i <= 41; i++ {
		if err := os.Symlink(fmt.Sprintf("/n%d", i-1), filepath.Join(root, fmt.Sprintf("n%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "n0"), nil, 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		path   string
		follow bool
		want   string
		err    error
	}{
		{path: "/etc/kubernetes/admin.conf", follow: true, want: "/etc/kubernetes/admin.conf"},
		{path: "/abs/admin.conf", follow: true, want: "/etc/kubernetes/admin.conf"},
		{path: "/abs", follow: false, want: "/abs"},
		{path: "/abs", follow: true, want: "/etc/kubernetes"},
		{path: "/rel", follow: true, want: "/etc/kubernetes/admin.conf"},
		{path: "/var/lib/up/kubernetes", follow: true, want: "/etc/kubernetes"},
		{path: "/../../etc/./kubernetes/../kubernetes", follow: true, want: "/etc/kubernetes"},
		{path: "/chain1", follow: true, want: "/etc/kubernetes/admin.conf"},
		{path: "/n40", follow: true, want: "/n0"},
		{path: "/n41", follow: true, err: syscall.ELOOP},
		{path: "/loop1", follow: true, err: syscall.ELOOP},
		{path: "/loop1", follow: false, want: "/loop1"},
		{path: "/var/lib/hostfs/etc", follow: true, err: syscall.ENOENT},
		{path: "/file-parent", follow: true, err: syscall.ENOTDIR},
		{path: "/missing/x", follow: true, err: syscall.ENOENT},
		{path: "relative", follow: true, err: syscall.EINVAL},
	}
	for _, tc := range tests {
		name := tc.path
		if !tc.follow {
			name += " (lstat)"
		}
		t.Run(strings.ReplaceAll(name, "/", "_"), func(t *testing.T) {
			got, err := resolve(root, tc.path, tc.follow)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Errorf("resolve(%s) = %q, %v; want %v", tc.path, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("resolve(%s) = %q, %v; want %q", tc.path, got, err, tc.want)
			}
		})
	}
}

// TestAddHostsEntry makes the node's name resolve without duplicating a
// line that already names it.
func TestAddHostsEntry(t *testing.T) {
	tests := []struct {
		name, before, after string
	}{
		{name: "appended", before: "127.0.0.1 localhost\n", after: "127.0.0.1 localhost\n172.30.1.10\tcontrolplane\n"},
		{name: "no final newline", before: "127.0.0.1 localhost", after: "127.0.0.1 localhost\n172.30.1.10\tcontrolplane\n"},
		{name: "already named", before: "10.0.0.1 a controlplane\n", after: "10.0.0.1 a controlplane\n"},
		{name: "named only in a comment", before: "# controlplane\n", after: "# controlplane\n172.30.1.10\tcontrolplane\n"},
		{name: "name as an address is no alias", before: "controlplane x\n", after: "controlplane x\n172.30.1.10\tcontrolplane\n"},
		{name: "missing file", after: "172.30.1.10\tcontrolplane\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "hosts")
			if tc.before != "" {
				if err := os.WriteFile(p, []byte(tc.before), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := addHostsEntry(p, "controlplane", "172.30.1.10"); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(p)
			if string(got) != tc.after {
				t.Errorf("hosts = %q, want %q", got, tc.after)
			}
		})
	}
}

// FuzzResolve checks that whatever the path, a resolved path is clean and
// absolute, so that joined to the node's root it stays beneath it.
func FuzzResolve(f *testing.F) {
	root := f.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc/kubernetes"), 0o755); err != nil {
		f.Fatal(err)
	}
	for link, target := range map[string]string{"up": "../../..", "abs": "/etc", "self": ".", "loop": "loop", "host": root} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			f.Fatal(err)
		}
	}
	for _, seed := range []string{"/", "/up/up/etc", "/abs/../..", "/self/self/abs/kubernetes", "/loop", "/host/etc", "//a/./b/..", "/up/abs/../up"} {
		f.Add(seed, true)
		f.Add(seed, false)
	}
	f.Fuzz(func(t *testing.T, p string, follow bool) {
		got, err := resolve(root, p, follow)
		if err != nil {
			return
		}
		if !filepath.IsAbs(got) || filepath.Clean(got) != got {
			t.Errorf("resolve(%q) = %q, not a clean absolute path", p, got)
		}
	})
}
