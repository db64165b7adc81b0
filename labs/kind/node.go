package kind

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ckat/ckat/internal/kubeadm"
	"github.com/ckat/ckat/labs"
)

// nodeEnv is what every command on a kind node gets, as on a kubeadm
// control-plane node where the learner works as root.
var nodeEnv = []string{"KUBECONFIG=" + kubeadm.AdminConf, "HOME=/root"}

// Node is a kind node container seen through commands run in it.
type Node struct {
	name   string
	runner nodeRunner
}

var _ labs.Node = (*Node)(nil)

// Name is the node's hostname: the kind container's name.
func (n *Node) Name() string { return n.name }

// Exec runs a command on the node as root, in /root unless cmd.Dir says
// otherwise.
func (n *Node) Exec(ctx context.Context, cmd labs.Command) error {
	if len(cmd.Args) == 0 {
		return errors.New("no command to run")
	}
	if cmd.Dir == "" {
		cmd.Dir = "/root"
	}
	cmd.Env = append(append([]string{}, nodeEnv...), cmd.Env...)
	return n.runner.run(ctx, cmd)
}

// Stat returns a node file's info, following symlinks.
func (n *Node) Stat(ctx context.Context, p string) (fs.FileInfo, error) {
	return n.stat(ctx, "stat", p, "-L")
}

// Lstat returns a node file's info without following a final symlink.
func (n *Node) Lstat(ctx context.Context, p string) (fs.FileInfo, error) {
	return n.stat(ctx, "lstat", p)
}

// statFormat prints the raw st_mode in hex, the size and the mtime to the
// nanosecond.
const statFormat = "%f %s %.9Y"

func (n *Node) stat(ctx context.Context, op, p string, flags ...string) (fs.FileInfo, error) {
	if err := checkNodePath(op, p); err != nil {
		return nil, err
	}
	args := append(append([]string{"stat"}, flags...), "-c", statFormat, "--", p)
	out, err := n.output(ctx, op, p, args...)
	if err != nil {
		return nil, err
	}
	fi, err := parseStat(path.Base(p), string(out))
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: p, Err: err}
	}
	return fi, nil
}

// ReadFile reads a whole node file.
func (n *Node) ReadFile(ctx context.Context, p string) ([]byte, error) {
	if err := checkNodePath("open", p); err != nil {
		return nil, err
	}
	return n.output(ctx, "open", p, "cat", "--", p)
}

// readDirFormat prints, per file, its type letter, octal permissions,
// size, mtime and name, NUL-terminated so that any name survives.
const readDirFormat = `%y %m %s %T@ %f\0`

// ReadDir lists a node directory, sorted by name.
func (n *Node) ReadDir(ctx context.Context, p string) ([]fs.DirEntry, error) {
	if err := checkNodePath("readdir", p); err != nil {
		return nil, err
	}
	out, err := n.output(ctx, "readdir", p, "find", "-H", p, "-maxdepth", "1", "-printf", readDirFormat)
	if err != nil {
		return nil, err
	}
	entries, err := parseFind(out)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: p, Err: err}
	}
	return entries, nil
}

// output runs args on the node and returns its stdout; a failure becomes
// a *fs.PathError whose Err is the errno the node's tool reported.
func (n *Node) output(ctx context.Context, op, p string, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	err := n.runner.run(ctx, labs.Command{Args: args, Stdout: &stdout, Stderr: &stderr})
	if err == nil {
		return stdout.Bytes(), nil
	}
	var ee *labs.ExitError
	if !errors.As(err, &ee) {
		return nil, err
	}
	if errno, ok := errnoFromMessage(stderr.String()); ok {
		return nil, &fs.PathError{Op: op, Path: p, Err: errno}
	}
	return nil, fmt.Errorf("%s %s on node %s: %s: %w", op, p, n.name, firstLine(stderr.String(), "no message"), err)
}

// errnoFromMessage maps coreutils' and findutils' strerror texts back to
// errnos, so that errors.Is(err, fs.ErrNotExist) works on node errors.
func errnoFromMessage(msg string) (syscall.Errno, bool) {
	for _, m := range []struct {
		text  string
		errno syscall.Errno
	}{
		{"No such file or directory", syscall.ENOENT},
		{"Permission denied", syscall.EACCES},
		{"Not a directory", syscall.ENOTDIR},
		{"Is a directory", syscall.EISDIR},
		{"Too many levels of symbolic links", syscall.ELOOP},
		{"File name too long", syscall.ENAMETOOLONG},
	} {
		if strings.Contains(msg, m.text) {
			return m.errno, true
		}
	}
	return 0, false
}

// checkNodePath accepts absolute paths only: a relative path has no
// meaning on the node, and a path starting with '-' would read as an
// option to some tools.
func checkNodePath(op, p string) error {
	if !strings.HasPrefix(p, "/") || strings.ContainsRune(p, 0) {
		return &fs.PathError{Op: op, Path: p, Err: errors.New("node paths must be absolute and contain no NUL byte")}
	}
	return nil
}

// parseStat reads one line of statFormat output.
func parseStat(name, out string) (fs.FileInfo, error) {
	f := strings.Fields(out)
	if len(f) != 3 {
		return nil, fmt.Errorf("unexpected stat output %q", out)
	}
	raw, err1 := strconv.ParseUint(f[0], 16, 32)
	size, err2 := strconv.ParseInt(f[1], 10, 64)
	mtime, err3 := parseEpoch(f[2])
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, fmt.Errorf("unexpected stat output %q: %w", out, err)
	}
	return &fileInfo{name: name, size: size, mode: modeFromRaw(uint32(raw)), modTime: mtime}, nil
}

// parseFind reads readDirFormat records; the first is the directory
// itself, which must be one.
func parseFind(out []byte) ([]fs.DirEntry, error) {
	records := strings.Split(string(out), "\x00")
	if len(records) < 2 || records[len(records)-1] != "" {
		return nil, fmt.Errorf("unexpected find output %q", out)
	}
	records = records[:len(records)-1]
	var entries []fs.DirEntry
	for i, rec := range records {
		f := strings.SplitN(rec, " ", 5)
		if len(f) != 5 || len(f[0]) != 1 {
			return nil, fmt.Errorf("unexpected find output %q", rec)
		}
		perm, err1 := strconv.ParseUint(f[1], 8, 32)
		size, err2 := strconv.ParseInt(f[2], 10, 64)
		mtime, err3 := parseEpoch(f[3])
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, fmt.Errorf("unexpected find output %q: %w", rec, err)
		}
		mode := modeFromType(f[0][0]) | permBits(uint32(perm))
		if i == 0 {
			if !mode.IsDir() {
				return nil, syscall.ENOTDIR
			}
			continue
		}
		fi := &fileInfo{name: f[4], size: size, mode: mode, modTime: mtime}
		entries = append(entries, fs.FileInfoToDirEntry(fi))
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	return entries, nil
}

// parseEpoch reads find's %T@, seconds with a fraction, to the nanosecond.
func parseEpoch(s string) (time.Time, error) {
	secText, fracText, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(secText, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	fracText = (fracText + "000000000")[:9]
	nsec, err := strconv.ParseInt(fracText, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(sec, nsec), nil
}

// modeFromRaw converts a Linux st_mode to an fs.FileMode.
func modeFromRaw(raw uint32) fs.FileMode {
	var m fs.FileMode
	switch raw & syscall.S_IFMT {
	case syscall.S_IFDIR:
		m = fs.ModeDir
	case syscall.S_IFLNK:
		m = fs.ModeSymlink
	case syscall.S_IFIFO:
		m = fs.ModeNamedPipe
	case syscall.S_IFSOCK:
		m = fs.ModeSocket
	case syscall.S_IFBLK:
		m = fs.ModeDevice
	case syscall.S_IFCHR:
		m = fs.ModeDevice | fs.ModeCharDevice
	}
	return m | permBits(raw)
}

// permBits converts permission and setuid/setgid/sticky bits.
func permBits(raw uint32) fs.FileMode {
	m := fs.FileMode(raw & 0o777)
	if raw&syscall.S_ISUID != 0 {
		m |= fs.ModeSetuid
	}
	if raw&syscall.S_ISGID != 0 {
		m |= fs.ModeSetgid
	}
	if raw&syscall.S_ISVTX != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// modeFromType converts find's %y letter.
func modeFromType(t byte) fs.FileMode {
	switch t {
	case 'd':
		return fs.ModeDir
	case 'l':
		return fs.ModeSymlink
	case 'p':
		return fs.ModeNamedPipe
	case 's':
		return fs.ModeSocket
	case 'b':
		return fs.ModeDevice
	case 'c':
		return fs.ModeDevice | fs.ModeCharDevice
	case 'f':
		return 0
	}
	return fs.ModeIrregular
}

// fileInfo is a node file's info.
type fileInfo struct {
	name    string
	size    int64
	mode    fs.FileMode
	modTime time.Time
}

func (f *fileInfo) Name() string       { return f.name }
func (f *fileInfo) Size() int64        { return f.size }
func (f *fileInfo) Mode() fs.FileMode  { return f.mode }
func (f *fileInfo) ModTime() time.Time { return f.modTime }
func (f *fileInfo) IsDir() bool        { return f.mode.IsDir() }
func (f *fileInfo) Sys() any           { return nil }
