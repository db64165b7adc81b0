package kind

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestRealPath resolves paths with the node's readlink, run here on this
// machine's coreutils as on a kind node, one command per path and no copy.
func TestRealPath(t *testing.T) {
	root := nodeTree(t)
	data := filepath.Join(root, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{
		"abs":   data,
		"rel":   "data",
		"chain": "rel",
		"loop1": "loop2",
		"loop2": "loop1",
	} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	r := &hostRunner{}
	n := &Node{name: "ckat-x-control-plane", runner: r}
	ctx := context.Background()
	for _, tc := range []struct{ path, want string }{
		{data, data},
		{root + "/abs", data},
		{root + "/rel", data},
		{root + "/chain", data},
		{root + "/sub/../rel/", data},
		{root + "/with space", root + "/with space"},
		{root + "/new\nline", root + "/new\nline"},
		{root + "/-rf", root + "/-rf"},
	} {
		if got, err := n.RealPath(ctx, tc.path); err != nil || got != tc.want {
			t.Errorf("RealPath(%q) = %q, %v; want %q", tc.path, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		path string
		err  error
	}{
		{root + "/missing", fs.ErrNotExist},
		{root + "/loop1", syscall.ELOOP},
		{"relative/path", nil},
	} {
		got, err := n.RealPath(ctx, tc.path)
		var pe *fs.PathError
		if err == nil || !errors.As(err, &pe) || pe.Path != tc.path || tc.err != nil && !errors.Is(err, tc.err) {
			t.Errorf("RealPath(%q) = %q, %v; want an error for the path, %v", tc.path, got, err, tc.err)
		}
	}
	want := fmt.Sprintf("%q", []string{"readlink", "-e", "-v", "--", root + "/abs"})
	cmds := r.commands()
	if len(cmds) < 2 || cmds[1] != want {
		t.Errorf("the second command run was %v, want %s", cmds, want)
	}
	for _, c := range cmds {
		if !strings.HasPrefix(c, `["readlink"`) {
			t.Errorf("RealPath ran %s on the node, want readlink alone", c)
		}
	}
}

// TestRealPathUnexpectedOutput refuses what readlink -e never prints.
func TestRealPathUnexpectedOutput(t *testing.T) {
	r := &scriptedRunner{t: t, script: map[string]reply{
		"readlink -e -v -- /var/lib/etcd": {stdout: "var/lib/etcd\n"},
	}}
	n := &Node{name: "n", runner: r}
	if got, err := n.RealPath(context.Background(), "/var/lib/etcd"); err == nil || !strings.Contains(err.Error(), `unexpected readlink output "var/lib/etcd\n"`) {
		t.Errorf("RealPath = %q, %v; want an error naming the output", got, err)
	}
}
