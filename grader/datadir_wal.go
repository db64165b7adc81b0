package grader

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"slices"

	"github.com/ckat/ckat/grader/internal/etcddata"
)

// newestSnapshotWrites is how many of the snapshot's newest puts are
// looked for in a data directory's raft log.
const newestSnapshotWrites = 8

// checkRaftLog fails a data directory whose raft log (member/wal) is not
// one that a restore of the snapshot began. A copy or a move of a running
// member's data directory keeps that member's log, which a restore never
// has, however long the member ran and whether or not the original is
// still there:
//   - a member that etcd created starts its log at index 0, while a
//     restore starts a new log with a snapshot record at term 1 (etcdutl's
//     saveWALAndSnap; etcdctl's before v3.6);
//   - the writes that made the snapshot's newest revisions went through the
//     raft log of the member the snapshot was taken from, while a restore
//     carries them in its database and logs only what etcd applies after
//     it. That member may itself be a restore (`ckat reset` restores the
//     lab's baseline), so its log starting as a restore's proves nothing;
//     holding the snapshot's own writes does.
//
// A restored member that ran long enough for etcd to remove its oldest
// WAL files no longer shows where its log began; the writes still tell.
func (c *RestoredDataDirCheck) checkRaftLog(ctx context.Context, t Target, snap *etcddata.DB, rev int64, v *verdict) *Result {
	end := func(r Result) *Result { return &r }
	walDir := path.Join(c.Path, "member/wal")
	src := nodeSource(t, walDir)
	newest, err := snap.NewestWrites(rev, newestSnapshotWrites)
	if err != nil {
		r := readSnapshotResult(t, c.Snapshot, err, v)
		r.Message = "cannot compare with the snapshot: " + r.Message
		return &r
	}
	want := distinctWrites(newest)
	host, release, err := t.Node.HostPath(ctx, walDir)
	if err != nil {
		v.add(src, "raft log", "readable", err.Error())
		return end(v.err("cannot read %s on node %s: %v", walDir, t.Node.Name(), err))
	}
	defer release()
	log, err := etcddata.ReadRaftLog(host, want)
	if p, ok := etcddata.AsProblem(err); ok {
		v.add(src, "raft log", "etcd's write-ahead log", p.Msg)
		return end(v.fail("%s: %s, so etcd cannot start on %s", walDir, p.Msg, c.Path))
	}
	if err != nil {
		v.add(src, "raft log", "readable", err.Error())
		return end(v.err("cannot read %s on node %s: %v", walDir, t.Node.Name(), err))
	}

	const restoreStart = "a snapshot record at term 1 (written by a restore)"
	switch {
	case log.RestoreIndex > 0:
		v.add(src, "raft log start", restoreStart, fmt.Sprintf("snapshot record at index %d, term 1", log.RestoreIndex))
	case log.FirstIndex > 0:
		v.add(src, "raft log start", restoreStart, fmt.Sprintf("not kept: the oldest WAL file starts at index %d", log.FirstIndex))
	default:
		v.add(src, "raft log start", restoreStart, "index 0 with no snapshot record: a member etcd created")
		return end(v.fail("%s's raft log starts as etcd starts a new member's, not as `etcdutl snapshot restore` starts one: %s is a copy or a move of a running member's data directory, not a restore of %s",
			c.Path, c.Path, c.Snapshot))
	}

	if len(want) == 0 {
		return nil
	}
	found := 0
	for _, p := range log.Proposed {
		if p {
			found++
		}
	}
	field := fmt.Sprintf("the snapshot's newest writes (revisions %d to %d)", newest[len(newest)-1].Rev, newest[0].Rev)
	v.add(src, field, "none in the raft log (a restore logs only later writes)", fmt.Sprintf("%d of %d in the raft log", found, len(want)))
	// Two different ones, so that a later write that puts a key's earlier
	// value and lease again (the API server's lease manager reuses a lease
	// for a minute) cannot fail a restore.
	if found >= min(2, len(want)) {
		return end(v.fail("%s's raft log holds %d of the snapshot's %d newest writes: the etcd that made them ran on this data, so %s is a copy or a move of the data directory %s was taken from, not a restore of it",
			c.Path, found, len(want), c.Path, c.Snapshot))
	}
	return nil
}

// distinctWrites drops writes that put the same key, value and lease as
// a newer one: one request in a log would match them all.
func distinctWrites(ws []etcddata.Write) []etcddata.Write {
	var out []etcddata.Write
	for _, w := range ws {
		if !slices.ContainsFunc(out, func(o etcddata.Write) bool {
			return o.Lease == w.Lease && bytes.Equal(o.Key, w.Key) && bytes.Equal(o.Value, w.Value)
		}) {
			out = append(out, w)
		}
	}
	return out
}
