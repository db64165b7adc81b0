package etcddata

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	berrors "go.etcd.io/bbolt/errors"
)

// TrailerSize is the sha256 digest `snapshot save` appends to the bbolt
// file; a snapshot's size is then 32 more than a multiple of 512.
const TrailerSize = sha256.Size

// HasTrailer reports whether a file of size n carries the sha256 trailer,
// by the rule etcd's restore uses.
func HasTrailer(n int64) bool { return n%512 == TrailerSize }

// SnapshotStatus is a snapshot file as `etcdutl snapshot status` reports
// it, with what ckat verified on the way.
type SnapshotStatus struct {
	Status
	// FileSize is the file's size, trailer included.
	FileSize int64
	// HasTrailer says the file ends with a sha256 trailer that matches.
	HasTrailer bool
}

// ReadSnapshot verifies the snapshot file at path: a bbolt database whose
// structure is sound, followed by the sha256 trailer `snapshot save` writes,
// which must match; bbolt's own consistency check must pass; then it reads
// the status. A file that is not such a snapshot yields a *Problem. A raw
// copy of member/snap/db yields a NoTrailer problem along with its status.
//
// etcd's snapshot.Status does the same reading but opens bbolt without a
// lock timeout and trusts the file's structure, so it is not used here.
func ReadSnapshot(path string) (st *SnapshotStatus, err error) {
	m, err := mapFile(path)
	if err != nil {
		return nil, err
	}
	defer m.close()
	size := int64(len(m.data))
	if _, _, err := selectMetaSafe(m.data); err != nil {
		return nil, foreign(m.data, err)
	}
	hasTrailer := HasTrailer(size)
	dbLen := size
	if hasTrailer {
		dbLen = size - TrailerSize
	}

	// The digest (reading the whole file) and the structural walk (reading
	// the tree's pages) run side by side.
	digest := make(chan error, 1)
	if hasTrailer {
		go func() { digest <- verifyTrailer(path, dbLen) }()
	} else {
		digest <- nil
	}
	_, verr := validate(m.data[:dbLen])
	derr := <-digest
	if derr != nil {
		if p, ok := AsProblem(verr); ok && p.Kind == Truncated {
			return nil, p
		}
		return nil, derr
	}
	if verr != nil {
		return nil, verr
	}

	db, err := openBolt(path)
	if errors.Is(err, berrors.ErrTimeout) {
		db, err = Open(path, dbLen)
	}
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		return nil, err
	}
	status, err := db.Status()
	if err != nil {
		return nil, err
	}
	st = &SnapshotStatus{Status: status, FileSize: size, HasTrailer: hasTrailer}
	if !hasTrailer {
		return st, problemf(NoTrailer, "no sha256 trailer (size %d is not a multiple of 512 plus 32): this looks like a copy of member/snap/db, not a snapshot from etcdctl snapshot save", size)
	}
	return st, nil
}

func selectMetaSafe(data []byte) (meta boltMeta, pageSize int, err error) {
	err = safely(func() error {
		var e error
		meta, pageSize, e = selectMeta(data)
		return e
	})
	return meta, pageSize, err
}

// verifyTrailer hashes the first dbLen bytes of the file and compares the
// digest with the 32 bytes that follow.
func verifyTrailer(path string, dbLen int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	if _, err := io.CopyBuffer(h, io.NewSectionReader(f, 0, dbLen), buf); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	want := make([]byte, TrailerSize)
	if _, err := f.ReadAt(want, dbLen); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if !bytes.Equal(h.Sum(nil), want) {
		return problemf(TrailerMismatch, "the sha256 trailer does not match the content: the file was changed or cut after etcdctl snapshot save")
	}
	return nil
}

// foreign says what a file that is not a bbolt database looks like.
func foreign(data []byte, cause error) *Problem {
	head := data
	if len(head) > 64*1024 {
		head = head[:64*1024]
	}
	switch {
	case len(bytes.Trim(head, "\x00")) == 0:
		return problemf(NotBolt, "not an etcd snapshot: the file starts with %d zero bytes and has no bbolt header", len(head))
	case isText(head):
		line, _, _ := bytes.Cut(head, []byte("\n"))
		if len(line) > 60 {
			line = append(line[:57:57], "..."...)
		}
		return problemf(NotBolt, "not an etcd snapshot: the file is text starting with %q", line)
	}
	return problemf(NotBolt, "not an etcd snapshot: no valid bbolt meta page (%v)", cause)
}

func isText(b []byte) bool {
	if len(b) > 512 {
		b = b[:512]
	}
	// A cut may split the last character.
	for i := 0; i < utf8.UTFMax-1 && len(b) > 0 && !utf8.Valid(b); i++ {
		b = b[:len(b)-1]
	}
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' {
			return false
		}
	}
	return true
}
