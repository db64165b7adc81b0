package grader

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"syscall"

	"github.com/ckat/ckat/grader/internal/etcddata"
)

// verdict collects evidence and ends in a Result.
type verdict struct{ ev []Evidence }

func (v *verdict) add(source, field, want, got string) {
	v.ev = append(v.ev, Evidence{Source: source, Field: field, Want: want, Got: got})
}

func (v *verdict) result(s Status, format string, args ...any) Result {
	return Result{Status: s, Message: fmt.Sprintf(format, args...), Evidence: v.ev}
}

func (v *verdict) pass(format string, args ...any) Result {
	return v.result(StatusPass, format, args...)
}

func (v *verdict) fail(format string, args ...any) Result {
	return v.result(StatusFail, format, args...)
}

func (v *verdict) err(format string, args ...any) Result {
	return v.result(StatusError, format, args...)
}

// nodeSource names a file on the node in evidence.
func nodeSource(t Target, path string) string {
	return t.Node.Name() + ":" + path
}

// locateSnapshot checks that path on the node is a non-empty regular file
// (a symlink to one is fine) and returns a host path to read it. When the
// check ends here it returns the Result instead.
func locateSnapshot(ctx context.Context, t Target, path string, v *verdict) (string, func(), *Result) {
	src := nodeSource(t, path)
	end := func(r Result) (string, func(), *Result) { return "", nil, &r }
	if path == "" {
		v.add(src, "path", "a snapshot path", "empty")
		return end(v.err("the check names no snapshot path"))
	}
	info, err := t.Node.Lstat(ctx, path)
	if err == nil && info.Mode()&fs.ModeSymlink != 0 {
		info, err = t.Node.Stat(ctx, path)
		if errors.Is(err, fs.ErrNotExist) {
			v.add(src, "file", "snapshot file", "symlink to a missing file")
			return end(v.fail("%s on node %s is a symlink to a file that does not exist", path, t.Node.Name()))
		}
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		v.add(src, "file", "snapshot file", "missing")
		return end(v.fail("no snapshot at %s on node %s", path, t.Node.Name()))
	case errors.Is(err, syscall.ELOOP):
		v.add(src, "file", "snapshot file", "symlink loop")
		return end(v.fail("%s on node %s is a symlink loop, not a snapshot file", path, t.Node.Name()))
	case errors.Is(err, fs.ErrPermission):
		v.add(src, "file", "readable", "permission denied")
		return end(v.err("cannot look at %s on node %s: permission denied", path, t.Node.Name()))
	case err != nil:
		v.add(src, "file", "readable", err.Error())
		return end(v.err("cannot look at %s on node %s: %v", path, t.Node.Name(), err))
	}
	if what := fileKind(info.Mode()); what != "" {
		v.add(src, "type", "regular file", what)
		return end(v.fail("%s on node %s is %s, not a snapshot file (etcdctl snapshot save writes one regular file)", path, t.Node.Name(), what))
	}
	if info.Size() == 0 {
		v.add(src, "size", "> 0 bytes", "0 bytes")
		return end(v.fail("%s on node %s is empty: the snapshot save failed or was interrupted", path, t.Node.Name()))
	}
	v.add(src, "type", "regular file", fmt.Sprintf("regular file, %d bytes", info.Size()))
	hostPath, release, err := t.Node.HostPath(ctx, path)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return end(v.err("cannot read %s on node %s: permission denied", path, t.Node.Name()))
		}
		return end(v.err("cannot read %s on node %s: %v", path, t.Node.Name(), err))
	}
	return hostPath, release, nil
}

// fileKind names a mode that is not a regular file ("" for a regular file).
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return ""
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSymlink != 0:
		return "a symlink"
	}
	return "not a regular file"
}

// readSnapshotResult turns a ReadSnapshot error into a verdict: a Problem
// is the learner's file being wrong (fail); anything else means the grader
// could not read it (error).
func readSnapshotResult(t Target, path string, err error, v *verdict) Result {
	src := nodeSource(t, path)
	if p, ok := etcddata.AsProblem(err); ok {
		field, want := "content", "etcd snapshot"
		switch p.Kind {
		case etcddata.NoTrailer, etcddata.TrailerMismatch:
			field, want = "sha256 trailer", "present and matching"
		case etcddata.Corrupt, etcddata.Truncated:
			field, want = "bbolt database", "consistent"
		}
		v.add(src, field, want, p.Msg)
		return v.fail("%s: %s", path, p.Msg)
	}
	if errors.Is(err, fs.ErrPermission) {
		v.add(src, "file", "readable", "permission denied")
		return v.err("cannot read %s on node %s: permission denied", path, t.Node.Name())
	}
	v.add(src, "file", "readable", err.Error())
	return v.err("cannot read %s on node %s: %v", path, t.Node.Name(), err)
}
