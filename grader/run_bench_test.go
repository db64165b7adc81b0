package grader

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/etcdutl/v3/snapshot"
	"go.uber.org/zap"

	"github.com/ckat/ckat/internal/kubeadm"
)

// gradedLab builds a lab whose learner did the task right: a snapshot of the
// test API server's etcd at /opt/etcd-backup.db, restored into
// /var/lib/etcd-from-backup, etcd's manifest pointing there, the API
// server's manifest back, and the API server serving the seeded objects.
// It returns the target and the specs of every check that can run without
// commands on the node.
func gradedLab(tb testing.TB) (Target, []CheckSpec) {
	tb.Helper()
	srv := apiServerForTest(tb)
	seedObjects(tb, srv.client(tb))
	node := newHostDirNode(tb)

	snap := node.host("/opt/etcd-backup.db")
	if err := os.MkdirAll(filepath.Dir(snap), 0o755); err != nil {
		tb.Fatal(err)
	}
	cfg := clientv3.Config{Endpoints: []string{srv.etcd.Clients[0].Addr().String()}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()}
	if _, err := snapshot.NewV3(zap.NewNop()).Save(context.Background(), cfg, snap); err != nil {
		tb.Fatalf("snapshot save: %v", err)
	}
	if err := snapshot.NewV3(zap.NewNop()).Restore(snapshot.RestoreConfig{
		SnapshotPath: snap, Name: "controlplane", OutputDataDir: node.host(restoredDataDir),
		PeerURLs: []string{"https://172.30.1.10:2380"}, InitialCluster: "controlplane=https://172.30.1.10:2380",
		InitialClusterToken: "etcd-cluster",
	}); err != nil {
		tb.Fatalf("snapshot restore: %v", err)
	}
	for nodePath, file := range map[string]string{
		kubeadm.EtcdManifest: "testdata/manifests/etcd/valid-hostpath-only.yaml",
		apiServerManifest:    "../internal/staticpod/testdata/valid-kube-apiserver.yaml",
	} {
		data, err := os.ReadFile(file)
		if err != nil {
			tb.Fatal(err)
		}
		node.writeNodeFile(tb, nodePath, data)
	}
	objects := []ObjectRef{refNamespace, refConfigMap, refSecret, refWeb, refService}
	specs := []CheckSpec{
		{Name: "snapshot-saved", SnapshotFile: &SnapshotFileCheck{Path: "/opt/etcd-backup.db"}},
		{Name: "snapshot-contents", SnapshotContents: &SnapshotContentsCheck{Path: "/opt/etcd-backup.db", Present: objects, Absent: []ObjectRef{refAfter}}},
		{Name: "restored-data-dir", RestoredDataDir: &RestoredDataDirCheck{Path: restoredDataDir, Snapshot: "/opt/etcd-backup.db"}},
		{Name: "etcd-data-volume", EtcdDataVolume: &EtcdDataVolumeCheck{DataDir: restoredDataDir}},
		{Name: "apiserver-manifest-back", ManifestPresent: &ManifestPresentCheck{Path: apiServerManifest}},
		{Name: "apiserver-etcd-servers", ManifestArg: &ManifestArgCheck{Path: apiServerManifest, Flag: "etcd-servers", Want: "https://127.0.0.1:2379"}},
		{Name: "api-ready", APIServerReady: &APIServerReadyCheck{}},
		{Name: "objects-restored", Objects: &ObjectsCheck{Present: objects, Absent: []ObjectRef{refAfter}}},
	}
	for _, spec := range specs {
		if err := spec.Validate(); err != nil {
			tb.Fatalf("%s: %v", spec.Name, err)
		}
	}
	return Target{Lab: "bench", Node: node, RESTConfig: srv.config}, specs
}

// TestGradeCorrectLab grades a correctly restored lab: every check passes.
func TestGradeCorrectLab(t *testing.T) {
	target, specs := gradedLab(t)
	for _, r := range Run(context.Background(), target, "restore", specs) {
		if r.Status != StatusPass || r.Points != 1 {
			t.Errorf("%s: %s %d/%d: %s %+v", r.Name, r.Status, r.Points, r.MaxPoints, r.Message, r.Evidence)
		}
	}
}

// BenchmarkGrade grades a lab whose cluster is up with every check that
// reads files and the API (the target is under 1 s per grading).
func BenchmarkGrade(b *testing.B) {
	target, specs := gradedLab(b)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		rep := Report{Scenario: "etcd-backup-restore", Lab: target.Lab}
		for _, r := range Run(ctx, target, "restore", specs) {
			if r.Status != StatusPass {
				b.Fatalf("%s: %s: %s", r.Name, r.Status, r.Message)
			}
			rep.Add(r)
		}
		if !rep.Passed {
			b.Fatalf("score %d/%d", rep.Score, rep.MaxScore)
		}
	}
}
