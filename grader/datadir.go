package grader

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"strings"
	"syscall"

	"github.com/ckat/ckat/grader/internal/etcddata"
	"github.com/ckat/ckat/internal/kubeadm"
)

// Run checks that Path on the node is an etcd data directory restored from
// the snapshot at Snapshot: not the original data directory, laid out as a
// restore writes it, and holding the snapshot's key space at the
// snapshot's revision (see etcddata.CompareAt). Revisions written after the
// restore are fine. A directory whose revision just after the snapshot's is
// byte for byte the original's was restored from a later snapshot or copied
// from the original, not restored from this snapshot; one whose raft log
// is a running member's is a copy or a move of it (see checkRaftLog).
func (c *RestoredDataDirCheck) Run(ctx context.Context, t Target) Result {
	var v verdict
	orig := c.Original
	if orig == "" {
		orig = kubeadm.EtcdDataDir
	}
	src := nodeSource(t, c.Path)
	if c.Path == "" {
		return v.err("the check names no data directory")
	}
	if target, ok := linkedOriginal(ctx, t, orig, c.Path); ok {
		// /var/lib/etcd replaced by a symlink to the restored directory:
		// a right answer, as the kubelet's hostPath follows the symlink
		// (see EtcdDataVolumeCheck). No original directory is left to
		// compare with; the raft log still tells a restore from a copy or
		// a move of the live data.
		v.add(nodeSource(t, orig), "symlink", "", "to "+target)
		orig = ""
	}
	if r := c.checkDir(ctx, t, orig, &v); r != nil {
		return *r
	}
	dbPath := path.Join(c.Path, "member/snap/db")

	snapHost, release, res := locateSnapshot(ctx, t, c.Snapshot, &v)
	if res != nil {
		res.Message = "cannot compare with the snapshot: " + res.Message
		return *res
	}
	defer release()
	snap, st, err := openSnapshot(snapHost)
	if err != nil {
		r := readSnapshotResult(t, c.Snapshot, err, &v)
		r.Message = "cannot compare with the snapshot: " + r.Message
		return r
	}
	defer snap.Close()

	dir, dirSt, r := openNodeDB(ctx, t, dbPath, &v)
	if r != nil {
		return *r
	}
	defer dir.Close()
	if dir.Copied {
		v.add(nodeSource(t, dbPath), "read", "", "a copy (a running etcd holds the file's lock)")
	}
	v.add(nodeSource(t, c.Snapshot), "revision", "", fmt.Sprint(st.Revision))
	v.add(nodeSource(t, dbPath), "revision", fmt.Sprintf(">= %d", st.Revision), fmt.Sprint(dirSt.Revision))
	if dirSt.Revision < st.Revision {
		return v.fail("%s holds data up to revision %d, older than the snapshot's revision %d: it is not a restore of %s (an old copy of the data, or a restore of an earlier snapshot)",
			c.Path, dirSt.Revision, st.Revision, c.Snapshot)
	}
	cmp, err := etcddata.CompareAt(snap, dir, st.Revision, st.CompactRevision, dirSt.CompactRevision)
	if err != nil {
		return readSnapshotResult(t, dbPath, err, &v)
	}
	field := fmt.Sprintf("key space at revision %d", st.Revision)
	if cmp.Method == etcddata.ByHash {
		v.add(src, field+" (hashkv)", fmt.Sprintf("%08x", cmp.SnapshotHash), fmt.Sprintf("%08x", cmp.DirHash))
	} else {
		v.add(src, field+" (live state)", "every surviving record equal",
			fmt.Sprintf("%d equal, %d different, %d rewritten since (compacted at %d)", cmp.Compared, cmp.Mismatched, cmp.Unverifiable, dirSt.CompactRevision))
	}
	if !cmp.Equal {
		detail := ""
		if cmp.FirstMismatch != "" {
			detail = fmt.Sprintf(" (first difference: %s)", cmp.FirstMismatch)
		}
		return v.fail("%s's key space at revision %d differs from the snapshot %s%s: it was restored from a different snapshot, or is not a restore",
			c.Path, st.Revision, c.Snapshot, detail)
	}
	if r := c.checkNotLater(ctx, t, orig, dir, st.Revision, &v); r != nil {
		return *r
	}
	if r := c.checkRaftLog(ctx, t, snap, st.Revision, &v); r != nil {
		return *r
	}
	note := ""
	if dirSt.Revision > st.Revision {
		note = fmt.Sprintf(", with newer writes up to revision %d", dirSt.Revision)
	}
	return v.pass("%s is a restore of %s: its key space at revision %d matches the snapshot%s", c.Path, c.Snapshot, st.Revision, note)
}

// checkDir checks that Path is a directory other than orig (when set), laid out as a
// restore writes it.
func (c *RestoredDataDirCheck) checkDir(ctx context.Context, t Target, orig string, v *verdict) *Result {
	src := nodeSource(t, c.Path)
	end := func(r Result) *Result { return &r }
	info, err := t.Node.Stat(ctx, c.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		v.add(src, "directory", "restored data directory", "missing")
		return end(v.fail("no directory at %s on node %s: nothing was restored there", c.Path, t.Node.Name()))
	case errors.Is(err, syscall.ELOOP):
		v.add(src, "directory", "restored data directory", "symlink loop")
		return end(v.fail("%s on node %s is a symlink loop", c.Path, t.Node.Name()))
	case err != nil:
		v.add(src, "directory", "readable", err.Error())
		return end(v.err("cannot look at %s on node %s: %v", c.Path, t.Node.Name(), err))
	case !info.IsDir():
		v.add(src, "type", "directory", strings.TrimPrefix(fileKind(info.Mode()), "a "))
		if info.Mode().IsRegular() {
			return end(v.fail("%s on node %s is a file, not a data directory (etcdutl snapshot restore --data-dir writes a directory)", c.Path, t.Node.Name()))
		}
		return end(v.fail("%s on node %s is %s, not a data directory", c.Path, t.Node.Name(), fileKind(info.Mode())))
	}
	if orig != "" {
		if same, how := sameDir(ctx, t, c.Path, orig); same {
			v.add(src, "directory", "not "+orig, orig+" ("+how+")")
			return end(v.fail("%s is the original data directory %s (%s): restore into a new directory", c.Path, orig, how))
		}
		v.add(src, "directory", "not "+orig, "a different directory")
	}

	entries, err := t.Node.ReadDir(ctx, c.Path)
	if err != nil {
		return end(v.err("cannot list %s on node %s: %v", c.Path, t.Node.Name(), err))
	}
	if len(entries) == 0 {
		v.add(src, "contents", "member/", "empty")
		return end(v.fail("%s is empty: nothing was restored there", c.Path))
	}
	db := path.Join(c.Path, "member/snap/db")
	if fi, err := t.Node.Stat(ctx, db); err != nil || !fi.Mode().IsRegular() {
		v.add(nodeSource(t, db), "file", "present", "missing")
		return end(v.fail("%s has no member/snap/db: it is not an etcd data directory", c.Path))
	}
	wal := path.Join(c.Path, "member/wal")
	walFiles := 0
	if es, err := t.Node.ReadDir(ctx, wal); err == nil {
		for _, e := range es {
			if strings.HasSuffix(e.Name(), ".wal") {
				walFiles++
			}
		}
	}
	v.add(nodeSource(t, wal), ".wal files", ">= 1", fmt.Sprint(walFiles))
	if walFiles == 0 {
		return end(v.fail("%s has no member/wal/*.wal: a restore writes the WAL, so this is not a restored data directory", c.Path))
	}
	return nil
}

// linkedOriginal reports whether orig is a symlink that resolves to dir on
// the node, and returns what it resolves to.
func linkedOriginal(ctx context.Context, t Target, orig, dir string) (string, bool) {
	li, err := t.Node.Lstat(ctx, orig)
	if err != nil || li.Mode()&fs.ModeSymlink == 0 {
		return "", false
	}
	ro, errO := t.Node.RealPath(ctx, orig)
	rd, errD := t.Node.RealPath(ctx, dir)
	return ro, errO == nil && errD == nil && ro == rd
}

// sameDir reports whether a and b are the same directory on the node: by
// the path each resolves to on the node (a symlink to it), or by device and
// inode where the node's Stat gives them (a bind mount of it).
func sameDir(ctx context.Context, t Target, a, b string) (bool, string) {
	if path.Clean(a) == path.Clean(b) {
		return true, "same path"
	}
	ra, errA := t.Node.RealPath(ctx, a)
	rb, errB := t.Node.RealPath(ctx, b)
	if errA == nil && errB == nil && ra == rb {
		return true, "same resolved path"
	}
	ia, errA := t.Node.Stat(ctx, a)
	ib, errB := t.Node.Stat(ctx, b)
	if errA != nil || errB != nil {
		return false, ""
	}
	sa, okA := ia.Sys().(*syscall.Stat_t)
	sb, okB := ib.Sys().(*syscall.Stat_t)
	if okA && okB && sa.Dev == sb.Dev && sa.Ino == sb.Ino {
		return true, "same device and inode"
	}
	return false, ""
}

// checkNotLater fails a directory whose records just above the snapshot's
// revision are the original data directory's own: history the snapshot
// does not have, so the directory came from a later snapshot or a copy.
func (c *RestoredDataDirCheck) checkNotLater(ctx context.Context, t Target, orig string, dir *etcddata.DB, rev int64, v *verdict) *Result {
	if orig == "" {
		return nil
	}
	origDB := path.Join(orig, "member/snap/db")
	if _, err := t.Node.Stat(ctx, origDB); err != nil {
		return nil
	}
	o, _, r := openNodeDB(ctx, t, origDB, &verdict{})
	if r != nil {
		return nil
	}
	defer o.Close()
	want, err1 := o.RecordsAt(rev + 1)
	got, err2 := dir.RecordsAt(rev + 1)
	if err1 != nil || err2 != nil || len(want) == 0 || len(got) == 0 {
		return nil
	}
	field := fmt.Sprintf("revision %d", rev+1)
	if maps.EqualFunc(want, got, func(a, b []byte) bool { return string(a) == string(b) }) {
		v.add(nodeSource(t, c.Path), field, "written after the restore", "identical to "+orig)
		res := v.fail("%s holds revision %d exactly as %s does, which the snapshot does not have: it was restored from a later snapshot or copied from %s, not restored from %s",
			c.Path, rev+1, orig, orig, c.Snapshot)
		return &res
	}
	v.add(nodeSource(t, c.Path), field, "written after the restore", "differs from "+orig)
	return nil
}

// openSnapshot verifies a snapshot file and opens its database. A copy of
// member/snap/db (no trailer) is accepted: the file check judges that.
func openSnapshot(hostPath string) (*etcddata.DB, *etcddata.SnapshotStatus, error) {
	st, err := etcddata.ReadSnapshot(hostPath)
	if p, ok := etcddata.AsProblem(err); ok && p.Kind == etcddata.NoTrailer {
		err = nil
	}
	if err != nil {
		return nil, nil, err
	}
	dbLen := st.FileSize
	if st.HasTrailer {
		dbLen -= etcddata.TrailerSize
	}
	db, err := etcddata.Open(hostPath, dbLen)
	return db, st, err
}

// openNodeDB opens a data directory's member/snap/db on the node.
func openNodeDB(ctx context.Context, t Target, p string, v *verdict) (*etcddata.DB, etcddata.Status, *Result) {
	end := func(r Result) (*etcddata.DB, etcddata.Status, *Result) { return nil, etcddata.Status{}, &r }
	host, release, err := t.Node.HostPath(ctx, p)
	if err != nil {
		return end(readSnapshotResult(t, p, err, v))
	}
	defer release()
	db, err := etcddata.Open(host, -1)
	if err == nil {
		if err = db.Check(); err != nil {
			db.Close()
		}
	}
	if err != nil {
		return end(readSnapshotResult(t, p, err, v))
	}
	st, err := db.Status()
	if err != nil {
		db.Close()
		return end(readSnapshotResult(t, p, err, v))
	}
	return db, st, nil
}
