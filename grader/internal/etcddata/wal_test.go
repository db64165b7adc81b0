package etcddata_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"go.etcd.io/etcd/etcdutl/v3/snapshot"
	"go.uber.org/zap"

	"github.com/ckat/ckat/grader/internal/etcddata"
)

// restoredWAL restores a real snapshot with etcdutl and returns the
// snapshot's path and the new member/wal.
func restoredWAL(t *testing.T) (string, string) {
	t.Helper()
	snap := realSnapshot(t, 0)
	dir := filepath.Join(t.TempDir(), "etcd")
	err := snapshot.NewV3(zap.NewNop()).Restore(snapshot.RestoreConfig{
		SnapshotPath: snap, Name: "default", OutputDataDir: dir,
		PeerURLs: []string{"http://127.0.0.1:2380"}, InitialCluster: "default=http://127.0.0.1:2380", InitialClusterToken: "etcd-cluster",
	})
	if err != nil {
		t.Fatal(err)
	}
	return snap, filepath.Join(dir, "member/wal")
}

// TestReadRaftLogOfARestore reads the log etcdutl writes: it starts with
// the restore's snapshot record and holds none of the snapshot's writes.
func TestReadRaftLogOfARestore(t *testing.T) {
	snapPath, walDir := restoredWAL(t)
	st, err := etcddata.ReadSnapshot(snapPath)
	if err != nil {
		t.Fatal(err)
	}
	db, err := etcddata.Open(snapPath, st.FileSize-etcddata.TrailerSize)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// realSnapshot puts /k/(i%7) = i at revisions 2 to 21, then deletes /k/3
	// at 22: the newest puts skip the tombstone.
	want, err := db.NewestWrites(st.Revision, 3)
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, w := range want {
		got += fmt.Sprintf("%s=%s@%d ", w.Key, w.Value, w.Rev)
	}
	if st.Revision != 22 || got != "/k/5=19@21 /k/4=18@20 /k/3=17@19 " {
		t.Fatalf("revision %d, newest writes %q; want 22, \"/k/5=19@21 /k/4=18@20 /k/3=17@19 \"", st.Revision, got)
	}
	log, err := etcddata.ReadRaftLog(walDir, want)
	if err != nil {
		t.Fatal(err)
	}
	if log.RestoreIndex != 1 || log.FirstIndex != 0 || log.Entries != 1 {
		t.Errorf("restore index %d, first index %d, %d entries; want 1, 0, 1", log.RestoreIndex, log.FirstIndex, log.Entries)
	}
	for i, p := range log.Proposed {
		if p {
			t.Errorf("the restore's log proposes the snapshot's write %s", want[i].Key)
		}
	}
}

// TestReadRaftLogCorrupt reads broken logs: a Problem or a clean read,
// never a crash or another error.
func TestReadRaftLogCorrupt(t *testing.T) {
	_, walDir := restoredWAL(t)
	name := "0000000000000000-0000000000000000.wal"
	data, err := os.ReadFile(filepath.Join(walDir, name))
	if err != nil {
		t.Fatal(err)
	}
	used := bytes.Index(data, make([]byte, 64))
	if used <= 0 {
		t.Fatalf("no records in %s", name)
	}
	data = data[:used+4096]

	read := func(t *testing.T, files map[string][]byte) (*etcddata.RaftLog, error) {
		t.Helper()
		dir := t.TempDir()
		for n, d := range files {
			if err := os.WriteFile(filepath.Join(dir, n), d, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return etcddata.ReadRaftLog(dir, []etcddata.Write{{Key: []byte("/k/1"), Value: []byte("1")}})
	}
	for _, tc := range []struct {
		name  string
		files map[string][]byte
		kind  etcddata.ProblemKind
	}{
		{"no wal file", map[string][]byte{"notes.txt": []byte("x")}, etcddata.NotEtcd},
		{"not etcd's file name", map[string][]byte{"backup.wal": data}, etcddata.NotEtcd},
		{"garbage", map[string][]byte{name: bytes.Repeat([]byte{0x17, 0, 0, 0, 0, 0, 0, 0x80}, 64)}, etcddata.Corrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := read(t, tc.files)
			if p, ok := etcddata.AsProblem(err); !ok || p.Kind != tc.kind {
				t.Fatalf("got %v, want a %s problem", err, tc.kind)
			}
		})
	}
	if log, err := read(t, map[string][]byte{name: data[:used-3]}); err != nil || log.RestoreIndex != 0 || log.Entries != 1 {
		t.Errorf("a log cut in its last record: %+v, %v; want its records before it", log, err)
	}
	problems := 0
	for off := 0; off < used; off++ {
		mutated := bytes.Clone(data)
		mutated[off] ^= 0x5a
		log, err := read(t, map[string][]byte{name: mutated})
		if _, ok := etcddata.AsProblem(err); err != nil && !ok {
			t.Fatalf("byte %d changed: %v, not a Problem", off, err)
		}
		if err == nil && log == nil {
			t.Fatalf("byte %d changed: no log and no error", off)
		}
		if err != nil {
			problems++
		}
	}
	if problems == 0 {
		t.Error("no changed byte was found a problem")
	}
}
