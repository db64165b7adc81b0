package etcddata_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/etcdutl/v3/snapshot"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"

	"github.com/ckat/ckat/grader/internal/etcddata"
)

func port(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startEtcd starts an embedded single-member etcd for the test and returns
// a client and its endpoint; both close when the test ends.
func startEtcd(t *testing.T) (*clientv3.Client, string) {
	t.Helper()
	cfg := embed.NewConfig()
	cfg.Dir = t.TempDir()
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	cu := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", port(t))}
	pu := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", port(t))}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{cu}, []url.URL{cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{pu}, []url.URL{pu}
	cfg.InitialCluster = cfg.Name + "=" + pu.String()
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	<-e.Server.ReadyNotify()
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{cu.String()}, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, cu.String()
}

// saveSnapshot saves a snapshot of the etcd at endpoint, as
// `etcdctl snapshot save` does, and returns its path.
func saveSnapshot(t *testing.T, endpoint string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "snap.db")
	cfg := clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()}
	if _, err := snapshot.NewV3(zap.NewNop()).Save(context.Background(), cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// realSnapshot saves a snapshot of an embedded etcd after puts, a delete
// and a compaction at revision 15, then extra more keys of 200 bytes.
func realSnapshot(t *testing.T, extra int) string {
	t.Helper()
	c, endpoint := startEtcd(t)
	ctx := context.Background()
	for i := 0; i < 20; i++ {
		if _, err := c.Put(ctx, fmt.Sprintf("/k/%d", i%7), fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Delete(ctx, "/k/3"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Compact(ctx, 15, clientv3.WithCompactPhysical()); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < extra; i++ {
		if _, err := c.Put(ctx, fmt.Sprintf("/registry/configmaps/ns/cm-%05d", i), strings.Repeat("v", 200)); err != nil {
			t.Fatal(err)
		}
	}
	return saveSnapshot(t, endpoint)
}

// TestReadSnapshotMatchesEtcdutlStatus compares ReadSnapshot's status with
// etcdutl's own snapshot status on a real snapshot.
func TestReadSnapshotMatchesEtcdutlStatus(t *testing.T) {
	path := realSnapshot(t, 0)
	want, err := snapshot.NewV3(zap.NewNop()).Status(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := etcddata.ReadSnapshot(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Revision != want.Revision || got.TotalKey != want.TotalKey || got.DBSize != want.TotalSize || got.Version != want.Version {
		t.Errorf("ReadSnapshot = rev %d, keys %d, size %d, version %q; etcdutl status = rev %d, keys %d, size %d, version %q",
			got.Revision, got.TotalKey, got.DBSize, got.Version, want.Revision, want.TotalKey, want.TotalSize, want.Version)
	}
	if got.CompactRevision != 15 || !got.HasTrailer {
		t.Errorf("compact revision %d, trailer %v; want 15, true", got.CompactRevision, got.HasTrailer)
	}
}

// TestReadSnapshotCorruptPages corrupts every page of a real snapshot in
// the ways that make bbolt fault or panic in a goroutine of its own (page
// ids, element counts, offsets and child pointers out of range, wrong page
// types), writes a matching trailer so the corruption reaches the bbolt
// reader, and expects a Problem or a clean read, never a crash.
func TestReadSnapshotCorruptPages(t *testing.T) {
	data, err := os.ReadFile(realSnapshot(t, 300))
	if err != nil {
		t.Fatal(err)
	}
	db := data[:len(data)-etcddata.TrailerSize]
	const pageSize = 4096
	type field struct {
		off  int // within the page
		size int
	}
	fields := []field{
		{0, 8},  // page id
		{8, 2},  // flags
		{10, 2}, // count
		{12, 4}, // overflow
		{16, 4}, // first element: pos (branch) or flags (leaf)
		{20, 4}, // first element: ksize (branch) or pos (leaf)
		{24, 8}, // first element: child pgid (branch) or ksize, vsize (leaf)
	}
	values := []uint64{0, 1, 2, 0x7f, 0xffff, 0xffffffff, ^uint64(0)}
	dir := t.TempDir()
	problems, clean := 0, 0
	for pg := 2; pg < len(db)/pageSize; pg++ {
		for _, f := range fields {
			for _, v := range values {
				mutated := append([]byte(nil), db...)
				b := make([]byte, 8)
				binary.LittleEndian.PutUint64(b, v)
				copy(mutated[pg*pageSize+f.off:pg*pageSize+f.off+f.size], b)
				sum := sha256.Sum256(mutated)
				path := filepath.Join(dir, "mutated.db")
				if err := os.WriteFile(path, append(mutated, sum[:]...), 0o600); err != nil {
					t.Fatal(err)
				}
				_, err := etcddata.ReadSnapshot(path)
				if err == nil {
					clean++
					continue
				}
				if _, ok := etcddata.AsProblem(err); !ok {
					t.Fatalf("page %d field %d = %#x: not a Problem: %v", pg, f.off, v, err)
				}
				problems++
			}
		}
	}
	if problems == 0 {
		t.Fatal("no corruption was noticed")
	}
	t.Logf("%d corruptions reported, %d harmless", problems, clean)
}
