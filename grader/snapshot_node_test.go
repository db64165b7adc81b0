package grader

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ckat/ckat/labs"
)

// rootedNode is a node whose / is a directory on the host: files resolve
// inside root, symlinks included (absolute targets from root, ELOOP after
// 40 links, as on a real node), and Exec runs commands on the host with
// pathDir first in PATH.
type rootedNode struct {
	root    string
	pathDir string
	// bindMounts are node paths that stand for bind mounts of what their
	// symlink points to: Stat follows them, RealPath stops at them, as
	// realpath stops at a mount point.
	bindMounts map[string]bool
}

var _ labs.Node = (*rootedNode)(nil)

func newRootedNode(t testing.TB) *rootedNode {
	return &rootedNode{root: t.TempDir()}
}

func (n *rootedNode) Name() string { return "controlplane" }

// resolve maps a node path to a host path, following symlinks inside the
// root; the final component is followed only when followLast is set.
func (n *rootedNode) resolve(p string, followLast bool) (string, error) {
	parts := strings.Split(strings.Trim(path.Clean("/"+p), "/"), "/")
	cur, links := "/", 0
	for len(parts) > 0 {
		part := parts[0]
		parts = parts[1:]
		if part == "" || part == "." {
			continue
		}
		next := path.Join(cur, part)
		if part == ".." {
			cur = next
			continue
		}
		fi, err := os.Lstat(filepath.Join(n.root, next))
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 || len(parts) == 0 && !followLast {
			if err != nil && len(parts) > 0 {
				return "", &fs.PathError{Op: "stat", Path: p, Err: err.(*fs.PathError).Err}
			}
			cur = next
			continue
		}
		if links++; links > 40 {
			return "", &fs.PathError{Op: "stat", Path: p, Err: syscall.ELOOP}
		}
		target, err := os.Readlink(filepath.Join(n.root, next))
		if err != nil {
			return "", err
		}
		if !path.IsAbs(target) {
			target = path.Join(cur, target)
		}
		parts = append(strings.Split(strings.Trim(path.Clean(target), "/"), "/"), parts...)
		cur = "/"
	}
	return filepath.Join(n.root, cur), nil
}

func (n *rootedNode) Stat(_ context.Context, p string) (fs.FileInfo, error) {
	h, err := n.resolve(p, true)
	if err != nil {
		return nil, err
	}
	return os.Stat(h)
}

func (n *rootedNode) Lstat(_ context.Context, p string) (fs.FileInfo, error) {
	h, err := n.resolve(p, false)
	if err != nil {
		return nil, err
	}
	return os.Lstat(h)
}

func (n *rootedNode) ReadFile(_ context.Context, p string) ([]byte, error) {
	h, err := n.resolve(p, true)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(h)
}

func (n *rootedNode) ReadDir(_ context.Context, p string) ([]fs.DirEntry, error) {
	h, err := n.resolve(p, true)
	if err != nil {
		return nil, err
	}
	return os.ReadDir(h)
}

func (n *rootedNode) HostPath(_ context.Context, p string) (string, func(), error) {
	h, err := n.resolve(p, true)
	if err != nil {
		return "", nil, err
	}
	if _, err := os.Lstat(h); err != nil {
		return "", nil, err
	}
	return h, func() {}, nil
}

func (n *rootedNode) RealPath(_ context.Context, p string) (string, error) {
	h, err := n.resolve(p, true)
	if err != nil {
		return "", err
	}
	if _, err := os.Lstat(h); err != nil {
		return "", err
	}
	if n.bindMounts[path.Clean(p)] {
		return path.Clean(p), nil
	}
	return "/" + strings.TrimPrefix(strings.TrimPrefix(h, n.root), "/"), nil
}

func (n *rootedNode) Exec(ctx context.Context, c labs.Command) error {
	cmd := exec.CommandContext(ctx, c.Args[0], c.Args[1:]...)
	cmd.Env = append(os.Environ(), c.Env...)
	if n.pathDir != "" {
		cmd.Path = filepath.Join(n.pathDir, c.Args[0])
		cmd.Err = nil
		cmd.Env = append(cmd.Env, "PATH="+n.pathDir)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.Stdin, c.Stdout, c.Stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return &labs.ExitError{Args: c.Args, Code: ee.ExitCode()}
	}
	return err
}

// path returns the host path of node path p (no symlinks followed).
func (n *rootedNode) path(p string) string { return filepath.Join(n.root, p) }

// mkdir makes node directory p.
func (n *rootedNode) mkdir(t testing.TB, p string) string {
	t.Helper()
	h := n.path(p)
	if err := os.MkdirAll(h, 0o755); err != nil {
		t.Fatal(err)
	}
	return h
}

// write writes node file p.
func (n *rootedNode) write(t testing.TB, p string, data []byte) string {
	t.Helper()
	n.mkdir(t, path.Dir(p))
	if err := os.WriteFile(n.path(p), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return n.path(p)
}

// symlink makes node symlink p pointing at target.
func (n *rootedNode) symlink(t testing.TB, target, p string) {
	t.Helper()
	n.mkdir(t, path.Dir(p))
	if err := os.Symlink(target, n.path(p)); err != nil {
		t.Fatal(err)
	}
}

func TestRootedNodeResolvesInsideRoot(t *testing.T) {
	n := newRootedNode(t)
	n.write(t, "/opt/real", []byte("x"))
	n.symlink(t, "/opt/real", "/tmp/abs")
	n.symlink(t, "../opt/real", "/tmp/rel")
	n.symlink(t, "/tmp/loop2", "/tmp/loop1")
	n.symlink(t, "/tmp/loop1", "/tmp/loop2")
	ctx := context.Background()
	for _, p := range []string{"/tmp/abs", "/tmp/rel"} {
		if b, err := n.ReadFile(ctx, p); err != nil || string(b) != "x" {
			t.Errorf("ReadFile(%s) = %q, %v; want x", p, b, err)
		}
	}
	if _, err := n.Stat(ctx, "/tmp/loop1"); !errors.Is(err, syscall.ELOOP) {
		t.Errorf("Stat of a loop: %v, want ELOOP", err)
	}
	if fi, err := n.Lstat(ctx, "/tmp/loop1"); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("Lstat of a loop: %v, %v; want the symlink", fi, err)
	}
	if _, err := n.Stat(ctx, "/nope/x"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat of a missing path: %v, want ErrNotExist", err)
	}
}
