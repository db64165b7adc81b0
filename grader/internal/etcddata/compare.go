package etcddata

import (
	"bytes"
	"hash/crc32"
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
// snapshot's), the way etcd compares members with HashKV: a CRC-32C over
// every record up to rev, where records at or below the compaction point
// count only if compaction keeps them (the newest non-tombstone revision of
// each key). Both sides use the later of the two compaction points, so a
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

// HashAt hashes the key space at rev as etcd's HashKV does with compaction
// at compactRev (see CompareAt).
func (d *DB) HashAt(rev, compactRev int64) (uint32, error) {
	keep := map[string]Rev{}
	dropped := map[string]bool{}
	if compactRev > 0 {
		err := d.ForEachRecord(func(r Record) error {
			if r.Rev.Main > compactRev {
				return nil
			}
			keep[string(r.Key)] = r.Rev
			dropped[string(r.Key)] = r.Rev.Tombstone
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	h := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	h.Write(keyBucket)
	err := d.ForEachRecord(func(r Record) error {
		switch {
		case r.Rev.Main > rev:
			return nil
		case r.Rev.Main <= compactRev:
			if keep[string(r.Key)] != r.Rev || dropped[string(r.Key)] {
				return nil
			}
		}
		h.Write(revBytes(r.Rev))
		h.Write(r.Raw)
		return nil
	})
	return h.Sum32(), err
}

func revBytes(r Rev) []byte {
	b := make([]byte, 17, 18)
	for i := 0; i < 8; i++ {
		b[i] = byte(uint64(r.Main) >> (56 - 8*i))
		b[9+i] = byte(uint64(r.Sub) >> (56 - 8*i))
	}
	b[8] = '_'
	if r.Tombstone {
		b = append(b, 't')
	}
	return b
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
