package etcddata

import (
	"fmt"

	"github.com/coreos/go-semver/semver"
	bolt "go.etcd.io/bbolt"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/server/v3/storage/mvcc"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// etcd's bucket and key names (go.etcd.io/etcd/server/v3/storage/schema).
var (
	keyBucket          = []byte("key")
	metaBucket         = []byte("meta")
	finishedCompactKey = []byte("finishedCompactRev")
	storageVersionKey  = []byte("storageVersion")
)

// Status is what `etcdutl snapshot status` reports of a database.
type Status struct {
	// Revision is the highest main revision in bucket "key".
	Revision int64
	// CompactRevision is the revision the database was last compacted at
	// (0 when never).
	CompactRevision int64
	// TotalKey counts the live keys.
	TotalKey int
	// DBSize is bbolt's size of the database in bytes.
	DBSize int64
	// Version is the storage version, empty before etcd 3.6.
	Version string
}

// Rev is a bucket "key" key: etcd's main and sub revision, and whether it
// is a tombstone (a delete).
type Rev struct {
	mvcc.Revision
	Tombstone bool
}

// parseRev decodes a bucket "key" key with etcd's own decoder, after the
// checks that decoder panics on: 8-byte big-endian main, '_', 8-byte sub
// (neither negative), then an optional 't' (mvcc.BucketKeyToBytes).
func parseRev(k []byte) (Rev, error) {
	if (len(k) != 17 && len(k) != 18) || k[8] != '_' || len(k) == 18 && k[17] != 't' || k[0]&0x80 != 0 || k[9]&0x80 != 0 {
		return Rev{}, fmt.Errorf("malformed revision key %x in bucket \"key\"", k)
	}
	return Rev{Revision: mvcc.BytesToRev(k), Tombstone: mvcc.IsTombstone(k)}, nil
}

// Record is one entry of bucket "key": a revision of a key.
type Record struct {
	Rev Rev
	// RevKey is the bucket "key" key Rev was decoded from, valid during the
	// callback only.
	RevKey []byte
	// Key is the etcd key; empty for the revision marker that
	// `etcdutl snapshot restore --bump-revision` writes.
	Key []byte
	// Raw is the encoded mvccpb.KeyValue, valid during the callback only.
	Raw []byte
}

// KeyValue decodes the record's value.
func (r Record) KeyValue() (*mvccpb.KeyValue, error) {
	kv := &mvccpb.KeyValue{}
	if err := proto.Unmarshal(r.Raw, kv); err != nil {
		return nil, fmt.Errorf("revision %d of %q: %w", r.Rev.Main, r.Key, err)
	}
	return kv, nil
}

// kvKey reads field 1 (key) of an encoded mvccpb.KeyValue without copying
// the value.
func kvKey(v []byte) ([]byte, error) {
	for len(v) > 0 {
		num, typ, n := protowire.ConsumeTag(v)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		v = v[n:]
		if num == 1 && typ == protowire.BytesType {
			b, n := protowire.ConsumeBytes(v)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			return b, nil
		}
		n = protowire.ConsumeFieldValue(num, typ, v)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		v = v[n:]
	}
	return nil, nil
}

// ForEachRecord calls fn for every record of bucket "key" in revision order.
func (d *DB) ForEachRecord(fn func(Record) error) error {
	return safely(func() error {
		return d.bolt.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(keyBucket)
			if b == nil {
				return problemf(NotEtcd, "the bbolt database has no bucket \"key\": it is not etcd's")
			}
			return b.ForEach(func(k, v []byte) error {
				rev, err := parseRev(k)
				if err != nil {
					return problemf(NotEtcd, "%v", err)
				}
				key, err := kvKey(v)
				if err != nil {
					return problemf(Corrupt, "revision %d: undecodable value: %v", rev.Main, err)
				}
				return fn(Record{Rev: rev, RevKey: k, Key: key, Raw: v})
			})
		})
	})
}

// Check runs bbolt's consistency check.
func (d *DB) Check() error {
	return safely(func() error {
		return d.bolt.View(func(tx *bolt.Tx) error {
			var errs []string
			for err := range tx.Check() {
				errs = append(errs, err.Error())
			}
			if len(errs) > 0 {
				return problemf(Corrupt, "bbolt's consistency check found %d errors, first: %s", len(errs), errs[0])
			}
			return nil
		})
	})
}

// Status reads the database's revision, live keys, compaction, size and
// storage version, counting keys as etcd's snapshot status does.
func (d *DB) Status() (Status, error) {
	var st Status
	live := map[string]struct{}{}
	err := d.ForEachRecord(func(r Record) error {
		st.Revision = max(st.Revision, r.Rev.Main)
		if r.Rev.Tombstone {
			delete(live, string(r.Key))
		} else {
			live[string(r.Key)] = struct{}{}
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	st.TotalKey = len(live)
	err = safely(func() error {
		return d.bolt.View(func(tx *bolt.Tx) error {
			st.DBSize = tx.Size()
			m := tx.Bucket(metaBucket)
			if m == nil {
				return nil
			}
			if v := m.Get(finishedCompactKey); v != nil {
				rev, err := parseRev(v)
				if err != nil {
					return problemf(NotEtcd, "meta bucket: %v", err)
				}
				st.CompactRevision = rev.Main
			}
			if v, err := semver.NewVersion(string(m.Get(storageVersionKey))); err == nil {
				st.Version = v.String()
			}
			return nil
		})
	})
	return st, err
}

// Live returns, for each key that want accepts, its newest revision at or
// below atRev (all revisions when atRev is 0) unless that is a tombstone.
func (d *DB) Live(atRev int64, want func(key string) bool) (map[string]*mvccpb.KeyValue, error) {
	raw := map[string][]byte{}
	err := d.ForEachRecord(func(r Record) error {
		if atRev > 0 && r.Rev.Main > atRev || !want(string(r.Key)) {
			return nil
		}
		if r.Rev.Tombstone {
			delete(raw, string(r.Key))
		} else {
			raw[string(r.Key)] = append([]byte(nil), r.Raw...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]*mvccpb.KeyValue, len(raw))
	for k, v := range raw {
		kv, err := Record{Key: []byte(k), Raw: v}.KeyValue()
		if err != nil {
			return nil, problemf(Corrupt, "%v", err)
		}
		out[k] = kv
	}
	return out, nil
}
