package grader

import (
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"google.golang.org/protobuf/proto"

	"github.com/ckat/ckat/grader/internal/etcddata"
)

// BenchmarkSnapshotCheck1GiB reads a 1 GiB snapshot as the snapshot file
// check does (sha256 trailer, bbolt walk and consistency check, status) and
// runs sha256sum on the same file in the same run; the ratio metric is the
// check's speed over sha256sum's (the target is at least 0.7).
func BenchmarkSnapshotCheck1GiB(b *testing.B) {
	path := bigSnapshot(b, 1<<30)
	size := fileSize(b, path)
	warm(b, path)
	b.SetBytes(size)
	b.ResetTimer()
	var check, sum time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		st, err := etcddata.ReadSnapshot(path)
		check += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if st.TotalKey < 256 {
			b.Fatalf("%d keys", st.TotalKey)
		}
		b.StopTimer()
		start = time.Now()
		if out, err := exec.Command("sha256sum", path).CombinedOutput(); err != nil {
			b.Fatalf("sha256sum: %v: %s", err, out)
		}
		sum += time.Since(start)
		b.StartTimer()
	}
	mb := float64(size) / 1e6 * float64(b.N)
	b.ReportMetric(mb/check.Seconds(), "check-MB/s")
	b.ReportMetric(mb/sum.Seconds(), "sha256sum-MB/s")
	b.ReportMetric(sum.Seconds()/check.Seconds(), "ratio")
}

// bigSnapshot grows a real snapshot to about size bytes: it saves a
// snapshot of an embedded etcd, then adds revisions with 4 MiB values to
// its key bucket with bbolt and writes a fresh sha256 trailer, as
// `snapshot save` would for an etcd holding that data.
func bigSnapshot(b *testing.B, size int64) string {
	b.Helper()
	dir := b.TempDir()
	te := seededEtcd(b)
	small := filepath.Join(dir, "small.db")
	te.save(b, small)
	te.stop()
	data, err := os.ReadFile(small)
	if err != nil {
		b.Fatal(err)
	}
	dbPath := filepath.Join(dir, "db")
	if err := os.WriteFile(dbPath, data[:len(data)-etcddata.TrailerSize], 0o600); err != nil {
		b.Fatal(err)
	}
	db, err := bolt.Open(dbPath, 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	const valueSize = 4 << 20
	value := make([]byte, valueSize)
	rng := rand.NewChaCha8([32]byte{1})
	_, _ = rng.Read(value) // ChaCha8's Read never fails
	rev := int64(100)
	for written := int64(0); written < size; {
		err := db.Update(func(tx *bolt.Tx) error {
			bk := tx.Bucket([]byte("key"))
			for i := 0; i < 16 && written < size; i++ {
				rev++
				kv, err := proto.Marshal(&mvccpb.KeyValue{
					Key:   []byte(fmt.Sprintf("/registry/configmaps/bench/cm-%d", rev)),
					Value: value, CreateRevision: rev, ModRevision: rev, Version: 1,
				})
				if err != nil {
					return err
				}
				k := make([]byte, 17)
				for j := 0; j < 8; j++ {
					k[j] = byte(uint64(rev) >> (56 - 8*j))
				}
				k[8] = '_'
				if err := bk.Put(k, kv); err != nil {
					return err
				}
				written += int64(len(kv))
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(dir, "big.db")
	in, err := os.Open(dbPath)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	f, err := os.Create(out)
	if err != nil {
		b.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, h), in); err != nil {
		b.Fatal(err)
	}
	if _, err := f.Write(h.Sum(nil)); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	os.Remove(dbPath)
	return out
}

// warm reads the file once so both readers find it in the page cache.
func warm(b *testing.B, path string) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(io.Discard, f); err != nil {
		b.Fatal(err)
	}
}
