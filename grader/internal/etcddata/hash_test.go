package etcddata_test

import (
	"context"
	"os"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ckat/ckat/grader/internal/etcddata"
)

// kvStore drives an embedded etcd and records its HashKV answers.
type kvStore struct {
	t        *testing.T
	c        *clientv3.Client
	endpoint string
	hashes   []*clientv3.HashKVResponse
}

func newKVStore(t *testing.T) *kvStore {
	c, endpoint := startEtcd(t)
	return &kvStore{t: t, c: c, endpoint: endpoint}
}

func (s *kvStore) put(key, value string) int64 {
	s.t.Helper()
	r, err := s.c.Put(context.Background(), key, value)
	if err != nil {
		s.t.Fatal(err)
	}
	return r.Header.Revision
}

func (s *kvStore) del(key string) int64 {
	s.t.Helper()
	r, err := s.c.Delete(context.Background(), key)
	if err != nil {
		s.t.Fatal(err)
	}
	return r.Header.Revision
}

func (s *kvStore) compact(rev int64) {
	s.t.Helper()
	if _, err := s.c.Compact(context.Background(), rev, clientv3.WithCompactPhysical()); err != nil {
		s.t.Fatal(err)
	}
}

// hashKV asks etcd for its HashKV at each revision (0: the current one).
func (s *kvStore) hashKV(revs ...int64) {
	s.t.Helper()
	for _, rev := range revs {
		r, err := s.c.HashKV(context.Background(), s.endpoint, rev)
		if err != nil {
			s.t.Fatalf("HashKV at %d: %v", rev, err)
		}
		s.hashes = append(s.hashes, r)
	}
}

// check saves a snapshot and expects HashAt on it to give every HashKV
// answer recorded since the last check, at its revision and compaction.
func (s *kvStore) check() {
	s.t.Helper()
	path := saveSnapshot(s.t, s.endpoint)
	fi, err := os.Stat(path)
	if err != nil {
		s.t.Fatal(err)
	}
	db, err := etcddata.Open(path, fi.Size()-etcddata.TrailerSize)
	if err != nil {
		s.t.Fatal(err)
	}
	defer db.Close()
	for _, want := range s.hashes {
		got, err := db.HashAt(want.HashRevision, want.CompactRevision)
		if err != nil {
			s.t.Fatalf("HashAt(%d, %d): %v", want.HashRevision, want.CompactRevision, err)
		}
		if got != want.Hash {
			s.t.Errorf("HashAt(%d, %d) = %08x, etcd's HashKV = %08x", want.HashRevision, want.CompactRevision, got, want.Hash)
		}
	}
	s.hashes = nil
}

// TestHashAtMatchesEtcdHashKV compares DB.HashAt on snapshots of an
// embedded etcd with that etcd's own HashKV at the same revisions: before
// any compaction, after a compaction with keys written again and deleted
// since, and after a compaction at a tombstone.
func TestHashAtMatchesEtcdHashKV(t *testing.T) {
	s := newKVStore(t)
	for i := range 20 { // revisions 2 to 21
		s.put("/k/"+string(rune('a'+i%7)), string(rune('0'+i%10)))
	}
	s.del("/k/d")
	s.put("/k/d", "again")
	s.del("/k/f")
	s.hashKV(2, 10, 22, 0)
	s.check()

	s.compact(15)
	s.put("/k/a", "after")
	s.put("/k/h", "new")
	s.del("/k/b")
	s.hashKV(16, 20, 24, 0)
	s.check()

	tomb := s.del("/k/c")
	s.compact(tomb)
	s.put("/k/i", "last")
	s.hashKV(0)
	s.check()
}

// TestHashAtMatchesEtcdHashKVAllDeleted covers etcd's HashKV when no key
// is live at the revision hashed: it then counts every record at or below
// the compaction, since its list of records to keep is empty.
func TestHashAtMatchesEtcdHashKVAllDeleted(t *testing.T) {
	s := newKVStore(t)
	s.put("/k/a", "1")
	rev := s.put("/k/b", "2")
	s.compact(rev)
	s.del("/k/a")
	s.del("/k/b")
	s.hashKV(0)
	s.check()
}
