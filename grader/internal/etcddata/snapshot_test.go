package etcddata_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
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

// TestReadSnapshotMatchesEtcdutlStatus compares ReadSnapshot's status with
// etcdutl's own snapshot status on a real snapshot with puts, deletes and a
// compaction.
func TestReadSnapshotMatchesEtcdutlStatus(t *testing.T) {
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
	defer e.Close()
	<-e.Server.ReadyNotify()
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{cu.String()}, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
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
	path := filepath.Join(t.TempDir(), "snap.db")
	if _, err := snapshot.NewV3(zap.NewNop()).Save(ctx, clientv3.Config{Endpoints: []string{cu.String()}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()}, path); err != nil {
		t.Fatal(err)
	}
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
