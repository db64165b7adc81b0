package etcddata

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
	"go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/client/pkg/v3/fileutil"
	"go.etcd.io/etcd/server/v3/storage/mvcc"
	"go.etcd.io/etcd/server/v3/storage/wal"
	"go.etcd.io/etcd/server/v3/storage/wal/walpb"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// Write is a put as it lands in a record of bucket "key": the key, the
// value and the lease, at main revision Rev.
type Write struct {
	Rev        int64
	Key, Value []byte
	Lease      int64
}

// NewestWrites returns up to n of the newest puts at or below rev, newest
// first: tombstones and the revision marker of
// `etcdutl snapshot restore --bump-revision` are left out.
func (d *DB) NewestWrites(rev int64, n int) ([]Write, error) {
	var out []Write
	err := safely(func() error {
		return d.bolt.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(keyBucket)
			if b == nil {
				return problemf(NotEtcd, "the bbolt database has no bucket \"key\": it is not etcd's")
			}
			c := b.Cursor()
			var v []byte
			k, _ := c.Seek(mvcc.RevToBytes(mvcc.Revision{Main: rev + 1}, mvcc.NewRevBytes()))
			if k == nil {
				k, v = c.Last()
			} else {
				k, v = c.Prev()
			}
			for ; k != nil && len(out) < n; k, v = c.Prev() {
				r, err := parseRev(k)
				if err != nil {
					return problemf(NotEtcd, "%v", err)
				}
				if r.Main > rev || r.Tombstone {
					continue
				}
				kv, err := Record{Rev: r, Raw: v}.KeyValue()
				if err != nil {
					return problemf(Corrupt, "%v", err)
				}
				if len(kv.Key) > 0 {
					out = append(out, Write{Rev: r.Main, Key: kv.Key, Value: kv.Value, Lease: kv.Lease})
				}
			}
			return nil
		})
	})
	return out, err
}

// RaftLog is what a member's write-ahead log (member/wal) says of where
// its history began and what it holds.
type RaftLog struct {
	// FirstIndex is the raft index the oldest WAL file starts after: 0
	// unless etcd removed older files.
	FirstIndex uint64
	// RestoreIndex is the index of the snapshot record at term 1 that a
	// restore writes into the new log (the member count; etcdutl's
	// saveWALAndSnap, and etcdctl's before 3.6), 0 when the log has none:
	// etcd itself starts a new member's log at index 0.
	RestoreIndex uint64
	// Entries counts the raft entries read.
	Entries int
	// Proposed says, for each Write asked about, whether the log holds a
	// request that puts its key, value and lease: the write went through
	// this member's raft log.
	Proposed []bool
}

// ReadRaftLog reads the WAL files in walDir, read-only and without the
// lock a running etcd holds, and looks in every entry's request for the
// puts in want. A running etcd may be appending: a last record cut short
// ends the log, and a log that does not read through is read again a few
// times before its fault is reported. A log that is not etcd's yields a
// *Problem.
func ReadRaftLog(walDir string, want []Write) (*RaftLog, error) {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var log *RaftLog
		log, err = readRaftLogOnce(walDir, want)
		if _, isProblem := AsProblem(err); err == nil || !isProblem {
			return log, err
		}
	}
	return nil, err
}

func readRaftLogOnce(walDir string, want []Write) (log *RaftLog, err error) {
	names, first, err := walFiles(walDir)
	if err != nil {
		return nil, err
	}
	log = &RaftLog{FirstIndex: first, Proposed: make([]bool, len(want))}
	var readers []fileutil.FileReader
	for _, name := range names {
		f, err := os.Open(filepath.Join(walDir, name))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		readers = append(readers, fileutil.NewFileReader(f))
	}
	defer func() {
		if r := recover(); r != nil {
			log, err = nil, problemf(Corrupt, "unreadable write-ahead log: %v", r)
		}
	}()
	return log, log.decode(wal.NewDecoder(readers...), want)
}

// walFiles lists walDir's WAL files in order, as etcd names them
// (SEQ-INDEX.wal, hexadecimal), and the index the first one starts at.
func walFiles(walDir string) ([]string, uint64, error) {
	entries, err := os.ReadDir(walDir)
	if err != nil {
		return nil, 0, err
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".wal") {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return nil, 0, problemf(NotEtcd, "%s holds no .wal file", walDir)
	}
	slices.Sort(names)
	var seq, index uint64
	if _, err := fmt.Sscanf(names[0], "%016x-%016x.wal", &seq, &index); err != nil {
		return nil, 0, problemf(NotEtcd, "%s is not a WAL file name etcd writes (SEQ-INDEX.wal)", names[0])
	}
	return names, index, nil
}

// decode reads every record in order, as etcd's wal.ReadAll does in read
// mode, and notes the restore record and the wanted puts.
func (l *RaftLog) decode(dec wal.Decoder, want []Write) error {
	rec := &walpb.Record{}
	var err error
	for err = dec.Decode(rec); err == nil; err = dec.Decode(rec) {
		switch rec.GetType() {
		case wal.CrcType:
			if crc := dec.LastCRC(); crc != 0 && rec.Validate(crc) != nil {
				return problemf(Corrupt, "the write-ahead log's checksum chain is broken")
			}
			dec.UpdateCRC(rec.GetCrc())
		case wal.SnapshotType:
			var s walpb.Snapshot
			if err := proto.Unmarshal(rec.Data, &s); err != nil {
				return problemf(Corrupt, "undecodable snapshot record in the write-ahead log: %v", err)
			}
			if l.RestoreIndex == 0 && l.Entries <= int(s.GetIndex()) && s.GetTerm() == 1 && s.GetIndex() > 0 {
				l.RestoreIndex = s.GetIndex()
			}
		case wal.EntryType:
			var e raftpb.Entry
			if err := proto.Unmarshal(rec.Data, &e); err != nil {
				return problemf(Corrupt, "undecodable entry in the write-ahead log: %v", err)
			}
			l.Entries++
			if e.GetType() == raftpb.EntryType_EntryNormal && len(e.GetData()) > 0 {
				l.notePuts(e.GetData(), want)
			}
		}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil
	}
	return problemf(Corrupt, "the write-ahead log does not read through: %v", err)
}

// notePuts marks the wanted writes that an entry's request puts. An entry
// that is not an InternalRaftRequest (etcd v2's requests) puts nothing.
func (l *RaftLog) notePuts(data []byte, want []Write) {
	var r etcdserverpb.InternalRaftRequest
	if proto.Unmarshal(data, &r) != nil {
		return
	}
	var puts []*etcdserverpb.PutRequest
	if r.Put != nil {
		puts = append(puts, r.Put)
	}
	puts = txnPuts(r.Txn, puts, 0)
	for _, p := range puts {
		for i, w := range want {
			if !l.Proposed[i] && p.Lease == w.Lease && bytes.Equal(p.Key, w.Key) && bytes.Equal(p.Value, w.Value) {
				l.Proposed[i] = true
			}
		}
	}
}

// txnPuts appends the puts of both branches of a transaction, nested
// ones included (etcd bounds the nesting; so does depth).
func txnPuts(t *etcdserverpb.TxnRequest, puts []*etcdserverpb.PutRequest, depth int) []*etcdserverpb.PutRequest {
	if t == nil || depth > 64 {
		return puts
	}
	for _, op := range append(slices.Clone(t.Success), t.Failure...) {
		if p := op.GetRequestPut(); p != nil {
			puts = append(puts, p)
		}
		puts = txnPuts(op.GetRequestTxn(), puts, depth+1)
	}
	return puts
}
