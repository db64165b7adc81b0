package grader

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"

	"github.com/ckat/ckat/grader/internal/etcddata"
)

// FuzzReadSnapshot feeds arbitrary files to the snapshot reader, both as
// they are and with a fresh sha256 trailer (so that mutations reach the
// bbolt walk, the consistency check and the key decoding): it must return
// a result or an error, never panic or fault.
func FuzzReadSnapshot(f *testing.F) {
	te := seededEtcd(f)
	good := filepath.Join(f.TempDir(), "seed.db")
	te.save(f, good)
	te.stop()
	data, err := os.ReadFile(good)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(data[:len(data)-etcddata.TrailerSize])
	f.Add([]byte("Error: context deadline exceeded\n"))
	f.Add(make([]byte, 8192))

	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, in []byte) {
		readAll(t, filepath.Join(dir, "as-is"), in)
		padded := append(in[:len(in):len(in)], make([]byte, (512-len(in)%512)%512)...)
		sum := sha256.Sum256(padded)
		readAll(t, filepath.Join(dir, "trailer"), append(padded, sum[:]...))
	})
}

func readAll(t *testing.T, path string, data []byte) {
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := etcddata.ReadSnapshot(path)
	if err != nil {
		if _, ok := etcddata.AsProblem(err); !ok {
			t.Fatalf("not a Problem: %v", err)
		}
		if st == nil {
			return
		}
	}
	dbLen := st.FileSize
	if st.HasTrailer {
		dbLen -= etcddata.TrailerSize
	}
	db, err := etcddata.Open(path, dbLen)
	if err != nil {
		return
	}
	defer db.Close()
	_, _ = db.HashAt(st.Revision, st.CompactRevision)
	live, err := db.Live(0, func(string) bool { return true })
	if err != nil {
		return
	}
	for _, kv := range live {
		_, _ = etcddata.DecodeObject(kv.Value)
	}
}
