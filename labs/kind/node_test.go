package kind

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ckat/ckat/labs"
)

// hostileNames are file names a learner (or an attacker) may create.
var hostileNames = []string{
	"plain",
	"with space",
	"it's",
	`"double"`,
	"$(touch pwned)",
	"`touch pwned`",
	"-rf",
	"--help",
	"semi;colon",
	"new\nline",
	"tab\tand star*",
	"ünïcode",
}

// nodeTree makes a directory holding a file per hostile name, a
// subdirectory, a symlink and a sticky directory.
func nodeTree(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "etc dir")
	if err := os.MkdirAll(filepath.Join(root, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range hostileNames {
		if err := os.WriteFile(filepath.Join(root, n), []byte("content of "+n), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("plain", filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "sticky"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, "sticky"), 0o1777|fs.ModeSticky); err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(filepath.Join(root, "sticky"), 0o777|os.ModeSticky)
	return root
}

func TestNodeFilesHostileNames(t *testing.T) {
	root := nodeTree(t)
	r := &hostRunner{}
	n := &Node{name: "ckat-x-control-plane", runner: r}
	ctx := context.Background()
	for _, name := range hostileNames {
		p := filepath.Join(root, name)
		data, err := n.ReadFile(ctx, p)
		if err != nil || string(data) != "content of "+name {
			t.Errorf("ReadFile(%q) = %q, %v", p, data, err)
		}
		fi, err := n.Stat(ctx, p)
		if err != nil {
			t.Errorf("Stat(%q): %v", p, err)
			continue
		}
		if fi.Name() != name || fi.Size() != int64(len("content of "+name)) || fi.Mode() != 0o640 || fi.IsDir() {
			t.Errorf("Stat(%q) = %s %d %s", p, fi.Name(), fi.Size(), fi.Mode())
		}
	}
	if _, err := os.Stat("pwned"); err == nil {
		t.Fatal("a file name ran as a command")
	}
	// Every argument reached the node as one argv element.
	cmds := r.commands()
	want := fmt.Sprintf("%q", []string{"cat", "--", filepath.Join(root, "$(touch pwned)")})
	found := false
	for _, c := range cmds {
		found = found || c == want
	}
	if !found {
		t.Errorf("no command %s among %v", want, cmds)
	}
}

func TestNodeStatAndLstat(t *testing.T) {
	root := nodeTree(t)
	r := &hostRunner{}
	n := &Node{name: "n", runner: r}
	ctx := context.Background()
	link := filepath.Join(root, "link")
	fi, err := n.Stat(ctx, link)
	if err != nil || !fi.Mode().IsRegular() {
		t.Errorf("Stat(link) = %v, %v; want the regular file it points to", fi, err)
	}
	fi, err = n.Lstat(ctx, link)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("Lstat(link) = %v, %v; want a symlink", fi, err)
	}
	fi, err = n.Stat(ctx, filepath.Join(root, "sticky"))
	if err != nil || !fi.IsDir() || fi.Mode()&fs.ModeSticky == 0 || fi.Mode().Perm() != 0o777 {
		t.Errorf("Stat(sticky) = %v, %v", fi.Mode(), err)
	}
	host, _ := os.Stat(root)
	fi, err = n.Stat(ctx, root)
	if err != nil || !fi.ModTime().Equal(host.ModTime()) {
		t.Errorf("Stat(root) mtime = %v, %v; want %v", fi.ModTime(), err, host.ModTime())
	}
	got := r.commands()
	want := []string{
		fmt.Sprintf("%q", []string{"stat", "-L", "-c", "%f %s %.9Y", "--", link}),
		fmt.Sprintf("%q", []string{"stat", "-c", "%f %s %.9Y", "--", link}),
	}
	if got[0] != want[0] || got[1] != want[1] {
		t.Errorf("commands %v, want %v", got[:2], want)
	}
}

func TestNodeErrors(t *testing.T) {
	root := nodeTree(t)
	n := &Node{name: "n", runner: &hostRunner{}}
	ctx := context.Background()
	file := filepath.Join(root, "plain")
	missing := filepath.Join(root, "missing")
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"stat missing", func() error { _, err := n.Stat(ctx, missing); return err }, fs.ErrNotExist},
		{"lstat missing", func() error { _, err := n.Lstat(ctx, missing); return err }, fs.ErrNotExist},
		{"read missing", func() error { _, err := n.ReadFile(ctx, missing); return err }, fs.ErrNotExist},
		{"read a directory", func() error { _, err := n.ReadFile(ctx, root); return err }, syscall.EISDIR},
		{"readdir missing", func() error { _, err := n.ReadDir(ctx, missing); return err }, fs.ErrNotExist},
		{"readdir a file", func() error { _, err := n.ReadDir(ctx, file); return err }, syscall.ENOTDIR},
		{"stat under a file", func() error { _, err := n.Stat(ctx, file+"/x"); return err }, syscall.ENOTDIR},
		{"copy missing", func() error { _, _, err := n.HostPath(ctx, missing); return err }, fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			var pe *fs.PathError
			if !errors.As(err, &pe) {
				t.Errorf("error %T is not a *fs.PathError", err)
			}
		})
	}
}

func TestNodeRejectsUnsafePaths(t *testing.T) {
	r := &hostRunner{}
	n := &Node{name: "n", runner: r}
	ctx := context.Background()
	for _, p := range []string{"relative/path", "-rf", "--help", "", "/etc/\x00passwd", "~/x"} {
		if _, err := n.Stat(ctx, p); err == nil || !strings.Contains(err.Error(), "node paths must be absolute") {
			t.Errorf("Stat(%q): %v", p, err)
		}
		if _, err := n.ReadFile(ctx, p); err == nil {
			t.Errorf("ReadFile(%q) succeeded", p)
		}
		if _, err := n.ReadDir(ctx, p); err == nil {
			t.Errorf("ReadDir(%q) succeeded", p)
		}
		if _, _, err := n.HostPath(ctx, p); err == nil {
			t.Errorf("HostPath(%q) succeeded", p)
		}
	}
	if len(r.calls) != 0 {
		t.Errorf("unsafe paths reached the node: %v", r.commands())
	}
	if _, _, err := n.HostPath(ctx, "/"); err == nil || !strings.Contains(err.Error(), "whole root") {
		t.Errorf("HostPath(/): %v", err)
	}
}

func TestNodeReadDir(t *testing.T) {
	root := nodeTree(t)
	n := &Node{name: "n", runner: &hostRunner{}}
	entries, err := n.ReadDir(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.ReadDir(root)
	if len(entries) != len(host) {
		t.Fatalf("%d entries, want %d", len(entries), len(host))
	}
	for i, e := range entries {
		h := host[i]
		hi, _ := h.Info()
		ei, _ := e.Info()
		if e.Name() != h.Name() || e.Type() != h.Type() || ei.Size() != hi.Size() || ei.Mode() != hi.Mode() || !ei.ModTime().Equal(hi.ModTime()) {
			t.Errorf("entry %d: %q %v %d %v %v, want %q %v %d %v %v", i, e.Name(), e.Type(), ei.Size(), ei.Mode(), ei.ModTime(),
				h.Name(), h.Type(), hi.Size(), hi.Mode(), hi.ModTime())
		}
	}
	// Through a symlink to a directory, as os.ReadDir does.
	link := filepath.Join(t.TempDir(), "dirlink")
	if err := os.Symlink(root, link); err != nil {
		t.Fatal(err)
	}
	viaLink, err := n.ReadDir(context.Background(), link)
	if err != nil || len(viaLink) != len(host) {
		t.Errorf("ReadDir through a symlink: %d entries, %v", len(viaLink), err)
	}
}

func TestParseFindRejectsGarbage(t *testing.T) {
	for _, out := range []string{"", "d 755 4096 1.5 dir", "d 755 4096 1.5 dir\x00x\x00", "d 9z9 1 1 d\x00", "x 755 1 1 dir\x00"} {
		if _, err := parseFind([]byte(out)); err == nil {
			t.Errorf("parseFind(%q) succeeded", out)
		}
	}
	if _, err := parseStat("x", "81a4 12"); err == nil {
		t.Error("parseStat accepted two fields")
	}
}

func TestNodeExec(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "work dir $(x)")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := &hostRunner{}
	n := &Node{name: "n", runner: r}
	var out bytes.Buffer
	err := n.Exec(context.Background(), labs.Command{
		Args:   []string{"sh", "-c", `pwd; echo "$KUBECONFIG"; echo "$EXTRA"; cat`},
		Dir:    dir,
		Env:    []string{"EXTRA=a b"},
		Stdin:  strings.NewReader("from stdin\n"),
		Stdout: &out,
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := dir + "\n/etc/kubernetes/admin.conf\na b\nfrom stdin\n"; out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
	err = n.Exec(context.Background(), labs.Command{Args: []string{"sh", "-c", "exit 3"}, Dir: dir})
	var ee *labs.ExitError
	if !errors.As(err, &ee) || ee.Code != 3 || ee.Args[0] != "sh" {
		t.Errorf("error %v, want exit status 3 of sh", err)
	}
	if r.calls[0].Dir != dir {
		t.Errorf("dir %q", r.calls[0].Dir)
	}
	_ = n.Exec(context.Background(), labs.Command{Args: []string{"true"}})
	if got := r.calls[2].Dir; got != "/root" {
		t.Errorf("default dir %q, want /root", got)
	}
}
