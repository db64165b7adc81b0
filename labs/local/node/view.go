package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/ckat/ckat/labs"
)

// ErrNotRunning is returned by a node whose PID 1 has gone.
var ErrNotRunning = errors.New("node is not running")

// maxSymlinks is how many symlinks one path may pass through, as in
// Linux.
const maxSymlinks = 40

// view is a running node seen from the host.
type view struct {
	name string
	pid  int
}

var _ labs.Node = (*view)(nil)

// New returns the node called name whose PID 1 has host PID pid. Its
// files are read through /proc/PID/root with every path resolved inside
// the node's root, so a symlink never leads to a host file; its commands
// run through package nsenter, using the current executable.
func New(name string, pid int) labs.Node {
	return &view{name: name, pid: pid}
}

func (v *view) Name() string { return v.name }

// root is the host path of the node's root directory.
func (v *view) root() string { return "/proc/" + strconv.Itoa(v.pid) + "/root" }

// check returns ErrNotRunning unless PID 1 is alive in a mount namespace
// other than the caller's.
func (v *view) check() error {
	theirs, err := os.Readlink("/proc/" + strconv.Itoa(v.pid) + "/ns/mnt")
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return fmt.Errorf("node %s (pid %d): %w", v.name, v.pid, err)
		}
		return fmt.Errorf("%w: %s (pid %d)", ErrNotRunning, v.name, v.pid)
	}
	ours, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil {
		return err
	}
	if theirs == ours {
		return fmt.Errorf("%w: %s (pid %d is not a node's process)", ErrNotRunning, v.name, v.pid)
	}
	return nil
}

// hostPath resolves p inside the node and returns the host path of the
// result under /proc/PID/root.
func (v *view) hostPath(op, p string, follow bool) (string, error) {
	if err := v.check(); err != nil {
		return "", err
	}
	r, err := resolve(v.root(), p, follow)
	if err != nil {
		return "", &fs.PathError{Op: op, Path: p, Err: err}
	}
	return v.root() + r, nil
}

func (v *view) Stat(_ context.Context, p string) (fs.FileInfo, error) {
	return v.stat("stat", p, true)
}

func (v *view) Lstat(_ context.Context, p string) (fs.FileInfo, error) {
	return v.stat("lstat", p, false)
}

func (v *view) stat(op, p string, follow bool) (fs.FileInfo, error) {
	hp, err := v.hostPath(op, p, follow)
	if err != nil {
		return nil, err
	}
	fi, err := os.Lstat(hp)
	if err != nil {
		return nil, nodeError(op, p, err)
	}
	return namedInfo{FileInfo: fi, name: path.Base(path.Clean("/" + p))}, nil
}

func (v *view) ReadFile(_ context.Context, p string) ([]byte, error) {
	f, err := v.open("open", p, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, nodeError("read", p, err)
	}
	return data, nil
}

func (v *view) ReadDir(_ context.Context, p string) ([]fs.DirEntry, error) {
	f, err := v.open("open", p, unix.O_DIRECTORY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	if err != nil {
		return nil, nodeError("readdir", p, err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	return entries, nil
}

// HostPath returns the file's path under /proc/PID/root; nothing is
// copied, so release does nothing.
func (v *view) HostPath(_ context.Context, p string) (string, func(), error) {
	hp, err := v.hostPath("stat", p, true)
	if err != nil {
		return "", nil, err
	}
	if _, err := os.Lstat(hp); err != nil {
		return "", nil, nodeError("stat", p, err)
	}
	return hp, func() {}, nil
}

// open opens p read-only. The resolved path is opened again beneath the
// node's root (openat2 RESOLVE_IN_ROOT), so that a symlink swapped in
// meanwhile still cannot lead out of the node. The returned file is
// named by its host path, which its DirEntry.Info uses.
func (v *view) open(op, p string, flags int) (*os.File, error) {
	hp, err := v.hostPath(op, p, true)
	if err != nil {
		return nil, err
	}
	rootFD, err := unix.Open(v.root(), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nodeError(op, p, err)
	}
	defer unix.Close(rootFD)
	rel := hp[len(v.root()):]
	fd, err := unix.Openat2(rootFD, rel, &unix.OpenHow{
		Flags:   uint64(unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NOFOLLOW | flags),
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if errors.Is(err, unix.ENOSYS) {
		fd, err = unix.Open(hp, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW|flags, 0)
	}
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: p, Err: err}
	}
	return os.NewFile(uintptr(fd), hp), nil
}

// nodeError reports err, from an operation on a host path, with the node
// path p.
func nodeError(op, p string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &fs.PathError{Op: op, Path: p, Err: pe.Err}
	}
	return &fs.PathError{Op: op, Path: p, Err: err}
}

// namedInfo is a FileInfo named as the caller asked, as os.Stat names it.
type namedInfo struct {
	fs.FileInfo
	name string
}

func (n namedInfo) Name() string { return n.name }
