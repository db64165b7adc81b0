package etcddata

import (
	"bytes"
	"hash/crc32"

	"go.etcd.io/etcd/server/v3/storage/mvcc"
)

// Comparison methods.
const (
	// ByHash compares the key spaces' hashes at the snapshot's revision.
	ByHash = "hashkv"
	// ByLiveState compares each surviving record at or below the
	// snapshot's revision with the snapshot's live value of its key.
	ByLiveState = "live-state"
)

// Comparison is a data directory's key space compared with a snapshot's
// at the snapshot's revision.
type Comparison struct {
	Method string
	// SnapshotRev is the snapshot's revision, the point compared at.
	SnapshotRev int64
	// CompactRev is the compaction the comparison allows for.
	CompactRev int64
	// SnapshotHash and DirHash are the hashes (ByHash only).
	SnapshotHash, DirHash uint32
	// Compared, Mismatched and Unverifiable count keys (ByLiveState only):
	// Unverifiable keys were written again after the snapshot's revision and
	// the older value was compacted away.
	Compared, Mismatched, Unverifiable int
	// FirstMismatch names the first key found different.
	FirstMismatch string
	// Equal says the directory holds exactly the snapshot's key space.
	Equal bool
}

// CompareAt compares dir's key space with snap's at revision rev (the
// snapshot's), the way etcd compares members with HashKV (see HashAt): a
// CRC-32C over every record up to rev, where records at or below the
// compaction point count only if they are still their key's live revision
// at rev. Both sides use the later of the two compaction points, so a
// data directory that its etcd compacted after the restore still hashes as
// the snapshot does, as long as that compaction is at or below rev.
//
// A restored etcd that ran for a while has compacted past rev (the API
// server compacts every five minutes): the values some keys had at rev are
// then gone and no hash at rev can be computed. CompareAt then compares the
// live state at rev instead: every record the directory still holds at or
// below rev must be, byte for byte, the snapshot's live revision of that
// key (compaction keeps only the newest revision of a key, so a surviving
// old record is what the key held at rev); keys rewritten since are
// counted as unverifiable.
func CompareAt(snap, dir *DB, rev int64, snapCompact, dirCompact int64) (*Comparison, error) {
	c := &Comparison{SnapshotRev: rev, CompactRev: max(snapCompact, dirCompact)}
	if dirCompact <= rev {
		c.Method = ByHash
		var err error
		if c.SnapshotHash, err = snap.HashAt(rev, c.CompactRev); err != nil {
			return nil, err
		}
		if c.DirHash, err = dir.HashAt(rev, c.CompactRev); err != nil {
			return nil, err
		}
		c.Equal = c.SnapshotHash == c.DirHash
		return c, nil
	}
	c.Method = ByLiveState
	live := map[string]Record{}
	err := snap.ForEachRecord(func(r Record) error {
		if r.Rev.Main > rev {
			return nil
		}
		if r.Rev.Tombstone {
			delete(live, string(r.Key))
		} else {
			r.Raw = append([]byte(nil), r.Raw...)
			live[string(r.Key)] = r
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	err = dir.ForEachRecord(func(r Record) error {
		if r.Rev.Main > rev {
			return nil
		}
		key := string(r.Key)
		seen[key] = true
		want, ok := live[key]
		if ok && want.Rev == r.Rev && bytes.Equal(want.Raw, r.Raw) {
			c.Compared++
			return nil
		}
		c.Mismatched++
		if c.FirstMismatch == "" {
			c.FirstMismatch = key
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for k := range live {
		if !seen[k] {
			c.Unverifiable++
		}
	}
	c.Equal = c.Mismatched == 0 && (c.Compared > 0 || len(live) == 0)
	return c, nil
}

// HashAt is etcd's HashKV at rev with compaction at compactRev (the
// kvHasher of go.etcd.io/etcd/server/v3/storage/mvcc/hash.go): a CRC-32C of
// the bucket name and every record up to rev, bucket key and value as
// stored. A record at or below compactRev counts only if it is still its
// key's newest revision at rev and not a delete (treeIndex.Keep(rev)); when
// no key is live at rev, etcd keeps them all. A delete at compactRev itself
// never counts, since older etcd compactions removed it. The result does not
// depend on how far the database was physically compacted, as long as it is
// not past compactRev.
func (d *DB) HashAt(rev, compactRev int64) (uint32, error) {
	keep := map[mvcc.Revision]bool{}
	if compactRev > 0 {
		newest := map[string]Rev{}
		err := d.ForEachRecord(func(r Record) error {
			if r.Rev.Main <= rev {
				newest[string(r.Key)] = r.Rev
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
		for _, r := range newest {
			if !r.Tombstone {
				keep[r.Revision] = true
			}
		}
	}
	h := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	h.Write(keyBucket)
	err := d.ForEachRecord(func(r Record) error {
		switch {
		case r.Rev.Main > rev,
			r.Rev.Main <= compactRev && len(keep) > 0 && !keep[r.Rev.Revision],
			r.Rev.Main == compactRev && r.Rev.Tombstone:
			return nil
		}
		h.Write(r.RevKey)
		h.Write(r.Raw)
		return nil
	})
	return h.Sum32(), err
}

// RecordsAt returns the records at main revision rev, keyed by sub
// revision and etcd key.
func (d *DB) RecordsAt(rev int64) (map[Rev][]byte, error) {
	out := map[Rev][]byte{}
	err := d.ForEachRecord(func(r Record) error {
		if r.Rev.Main == rev {
			out[r.Rev] = append(append([]byte(nil), r.Key...), r.Raw...)
		}
		return nil
	})
	return out, err
}
