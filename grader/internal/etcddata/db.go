// Package etcddata reads etcd's data as it lies on disk: snapshot files made
// by `etcdctl snapshot save`, and the bbolt database of a data directory.
// Every reader treats its input as untrusted: a file that is not what it
// should be yields a *Problem saying what is wrong, never a panic.
package etcddata

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
	"golang.org/x/sys/unix"
)

// ProblemKind classifies what is wrong with a file.
type ProblemKind string

// Problem kinds.
const (
	NotBolt         ProblemKind = "not-bbolt"
	Empty           ProblemKind = "empty"
	Truncated       ProblemKind = "truncated"
	NoTrailer       ProblemKind = "no-trailer"
	TrailerMismatch ProblemKind = "trailer-mismatch"
	Corrupt         ProblemKind = "corrupt"
	NotEtcd         ProblemKind = "not-etcd"
)

// Problem is something wrong with the data that was read: a check that
// gets one fails (the learner's file is wrong), unlike other errors, which
// mean the file could not be read.
type Problem struct {
	Kind ProblemKind
	Msg  string
}

func (p *Problem) Error() string { return p.Msg }

func problemf(kind ProblemKind, format string, args ...any) *Problem {
	return &Problem{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// AsProblem returns err's *Problem, if it has one.
func AsProblem(err error) (*Problem, bool) {
	var p *Problem
	ok := errors.As(err, &p)
	return p, ok
}

// LockTimeout bounds bbolt's own wait for its shared lock, taken after
// Open has found the file unlocked (a writer may take it in between).
var LockTimeout = 500 * time.Millisecond

// DB is a bbolt database opened read-only after its structure was checked.
type DB struct {
	bolt *bolt.DB
	// Copied says the file was locked by a running etcd and a copy of it
	// was read instead.
	Copied bool
	tmpDir string
}

// Close closes the database and removes any copy.
func (d *DB) Close() {
	if d.bolt != nil {
		_ = d.bolt.Close()
	}
	if d.tmpDir != "" {
		_ = os.RemoveAll(d.tmpDir)
	}
}

// Open opens the bbolt database at path read-only. dbLen is how many bytes
// of the file are the database (the file's size when negative): a snapshot
// carries a 32-byte trailer after it. The structure is validated first, so
// bbolt never reads outside the file.
//
// A running etcd holds an exclusive flock on its member/snap/db, and bbolt's
// read-only open asks for a shared one, so it would wait forever. Open
// finds the file locked, copies it and reads the copy; a copy taken while
// etcd commits can be torn, so a copy that fails validation is taken again
// a few times before the failure is reported.
func Open(path string, dbLen int64) (*DB, error) {
	db, err := openValidated(path, dbLen)
	if !errors.Is(err, berrors.ErrTimeout) {
		return db, err
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		tmp, err := os.MkdirTemp("", "ckat-etcd-db-")
		if err != nil {
			return nil, fmt.Errorf("copying locked %s: %w", path, err)
		}
		cp := filepath.Join(tmp, "db")
		if err := copyFile(path, cp); err != nil {
			_ = os.RemoveAll(tmp)
			return nil, fmt.Errorf("copying locked %s: %w", path, err)
		}
		db, err := openValidated(cp, dbLen)
		if err == nil {
			db.Copied, db.tmpDir = true, tmp
			return db, nil
		}
		_ = os.RemoveAll(tmp)
		lastErr = err
		if _, ok := AsProblem(err); !ok {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil, lastErr
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func openValidated(path string, dbLen int64) (db *DB, err error) {
	// Take bbolt's shared lock first: a file that a running etcd holds is
	// being written, and is read from a copy instead of validated in place.
	lock, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer lock.Close()
	if err := lockShared(lock); err != nil {
		return nil, err
	}
	m, err := mapFile(path)
	if err != nil {
		return nil, err
	}
	defer m.close()
	if dbLen < 0 || dbLen > int64(len(m.data)) {
		dbLen = int64(len(m.data))
	}
	if _, err := validate(m.data[:dbLen]); err != nil {
		return nil, err
	}
	return openBolt(path)
}

// lockShared takes a shared flock on f without waiting; it returns
// bbolt's ErrTimeout when another process holds an exclusive one. The
// holder is a writer (a running etcd holds its lock for as long as it
// runs), so waiting would only delay reading a copy.
func lockShared(f *os.File) error {
	err := unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EWOULDBLOCK):
		return berrors.ErrTimeout
	default:
		return fmt.Errorf("locking %s: %w", f.Name(), err)
	}
}

// openBolt opens a validated file with bbolt, read-only, without waiting
// for a lock longer than LockTimeout.
func openBolt(path string) (*DB, error) {
	b, err := bolt.Open(path, 0o400, &bolt.Options{ReadOnly: true, Timeout: LockTimeout})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, err
		}
		return nil, problemf(NotBolt, "bbolt cannot open it: %v", err)
	}
	return &DB{bolt: b}, nil
}

// validate runs the structural walk with faults turned into panics and
// panics into a Problem.
func validate(data []byte) (meta boltMeta, err error) {
	err = safely(func() error {
		var werr error
		meta, werr = walkBolt(data)
		return werr
	})
	if err == nil {
		return meta, nil
	}
	if p, ok := AsProblem(err); ok {
		return meta, p
	}
	var te *TruncatedError
	if errors.As(err, &te) {
		return meta, &Problem{Kind: Truncated, Msg: err.Error()}
	}
	return meta, problemf(Corrupt, "corrupt bbolt database: %v", err)
}

// safely runs fn on the calling goroutine with memory faults (a file
// truncated under its mapping) turned into panics, and panics into errors.
func safely(fn func() error) (err error) {
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer func() {
		if r := recover(); r != nil {
			err = problemf(Corrupt, "unreadable database: %v", r)
		}
	}()
	return fn()
}

// mapping is a read-only memory map of a whole file.
type mapping struct {
	data []byte
}

func mapFile(path string) (*mapping, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, problemf(NotBolt, "%s is not a regular file", path)
	}
	if fi.Size() == 0 {
		return nil, problemf(Empty, "the file is empty")
	}
	data, err := unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", path, err)
	}
	return &mapping{data: data}, nil
}

func (m *mapping) close() {
	if m.data != nil {
		_ = unix.Munmap(m.data)
		m.data = nil
	}
}
