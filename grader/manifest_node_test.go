package grader

import (
	"context"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"testing"

	"github.com/ckat/ckat/labs"
)

// hostDirNode is a labs.Node whose / is a directory on the host: the same
// files a lab's node holds, without the namespaces. Exec is not needed by the
// manifest checks and fails.
type hostDirNode struct{ root string }

var _ labs.Node = hostDirNode{}

func (n hostDirNode) host(p string) string { return filepath.Join(n.root, filepath.Clean("/"+p)) }

func (n hostDirNode) Name() string { return "controlplane" }
func (n hostDirNode) Stat(_ context.Context, p string) (fs.FileInfo, error) {
	return os.Stat(n.host(p))
}
func (n hostDirNode) Lstat(_ context.Context, p string) (fs.FileInfo, error) {
	return os.Lstat(n.host(p))
}
func (n hostDirNode) ReadFile(_ context.Context, p string) ([]byte, error) {
	return os.ReadFile(n.host(p))
}
func (n hostDirNode) ReadDir(_ context.Context, p string) ([]fs.DirEntry, error) {
	return os.ReadDir(n.host(p))
}

// RealPath resolves p's symlinks under the root; a fixture's symlinks are
// relative, so that they resolve there.
func (n hostDirNode) RealPath(_ context.Context, p string) (string, error) {
	real, err := filepath.EvalSymlinks(n.host(p))
	if err != nil {
		return "", err
	}
	root, err := filepath.EvalSymlinks(n.root)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(root, real)
	if err != nil {
		return "", err
	}
	return path.Clean("/" + filepath.ToSlash(rel)), nil
}
func (n hostDirNode) HostPath(_ context.Context, p string) (string, func(), error) {
	return n.host(p), func() {}, nil
}
func (n hostDirNode) Exec(context.Context, labs.Command) error {
	return &labs.ExitError{Args: []string{"exec"}, Code: 127}
}

// writeNodeFile writes a file at node path p, creating its directories.
func (n hostDirNode) writeNodeFile(t testing.TB, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(n.host(p)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(n.host(p), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// newHostDirNode makes an empty node root in a test's temporary directory.
func newHostDirNode(t testing.TB) hostDirNode {
	t.Helper()
	return hostDirNode{root: t.TempDir()}
}

// deniedNode is a node whose files cannot be read: what the grader sees
// when it lacks a permission on the node.
type deniedNode struct{ hostDirNode }

func (n deniedNode) ReadFile(_ context.Context, p string) ([]byte, error) {
	return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrPermission}
}

// readTestdata returns the file at testdata/name.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}
