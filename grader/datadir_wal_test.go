package grader

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.etcd.io/etcd/server/v3/embed"
	"go.etcd.io/etcd/server/v3/storage/wal"
)

// longRunning makes etcd behave, at test scale, as a member that ran for
// days: a raft snapshot (member/snap/*.snap) every 10 entries instead of
// 10000, and a new WAL file every 64 KiB instead of 64 MB. etcd's own
// purge of old WAL files runs on a timer; it is left to purgeWAL.
func longRunning(t *testing.T) func(*embed.Config) {
	t.Helper()
	old := wal.SegmentSizeBytes
	wal.SegmentSizeBytes = 64 << 10
	t.Cleanup(func() { wal.SegmentSizeBytes = old })
	return func(cfg *embed.Config) {
		cfg.SnapshotCount = 10
		cfg.SnapshotCatchUpEntries = 5
		cfg.MaxWalFiles = 0 // purgeWAL purges, when a test says so
	}
}

// busy writes n ConfigMaps of 2 KB each.
func busy(t *testing.T, te *testEtcd, prefix string, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		te.put(t, configMap("busy", fmt.Sprintf("%s-%d", prefix, i), map[string]string{"pad": strings.Repeat("x", 2000)}))
	}
}

// ranLong is a lab whose original etcd at /var/lib/etcd has run long
// (raft snapshots taken, several WAL files) before the snapshot at
// snapPath was saved; the incident followed. With restoredOriginal,
// /var/lib/etcd was itself restored from an earlier baseline snapshot, as
// `ckat reset` leaves it. The original is still running.
func ranLong(t *testing.T, restoredOriginal bool, opt func(*embed.Config)) (*rootedNode, *testEtcd) {
	t.Helper()
	n := newRootedNode(t)
	if restoredOriginal {
		base := startEtcd(t, "", nil)
		base.put(t, namespace("kube-system"))
		baseline := filepath.Join(t.TempDir(), "baseline.db")
		base.save(t, baseline)
		base.stop()
		restore(t, baseline, n.path("/var/lib/etcd"), 0)
	}
	te := startEtcd(t, n.mkdir(t, "/var/lib/etcd"), nil, opt)
	busy(t, te, "before", 200)
	te.put(t, namespace("shop"))
	te.put(t, configMap("shop", "settings", map[string]string{"mode": "blue"}))
	n.mkdir(t, "/opt/backup")
	te.save(t, n.path(snapPath))
	te.put(t, secret("shop", "late", map[string]string{"token": "abc"}))
	te.put(t, configMap("shop", "settings", map[string]string{"mode": "red"}))
	if snaps := globCount(t, n.path("/var/lib/etcd/member/snap/*.snap")); snaps == 0 {
		t.Fatal("the original took no raft snapshot")
	}
	if wals := globCount(t, n.path("/var/lib/etcd/member/wal/*.wal")); wals < 6 {
		t.Fatalf("the original has %d WAL files, want several", wals)
	}
	return n, te
}

func globCount(t *testing.T, pattern string) int {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return len(m)
}

// purgeWAL removes a stopped member's oldest WAL files as etcd's purge
// does after a long run: it keeps the newest keep files (--max-wals), and
// every file from the last one starting at or below the newest raft
// snapshot's index on (server/storage/wal ReleaseLockTo). It returns how
// many it removed.
func purgeWAL(t *testing.T, dataDir string, keep int) int {
	t.Helper()
	snaps, _ := filepath.Glob(filepath.Join(dataDir, "member/snap/*.snap"))
	var snapIndex uint64
	for _, s := range snaps {
		var term, index uint64
		if _, err := fmt.Sscanf(filepath.Base(s), "%016x-%016x.snap", &term, &index); err == nil {
			snapIndex = max(snapIndex, index)
		}
	}
	wals, _ := filepath.Glob(filepath.Join(dataDir, "member/wal/*.wal"))
	slices.Sort(wals)
	released := 0
	for i, w := range wals {
		var seq, index uint64
		if _, err := fmt.Sscanf(filepath.Base(w), "%016x-%016x.wal", &seq, &index); err == nil && index <= snapIndex {
			released = i
		}
	}
	removed := 0
	for i := 0; i < released && len(wals)-i > keep; i++ {
		if err := os.Remove(wals[i]); err != nil {
			t.Fatal(err)
		}
		removed++
	}
	if removed == 0 {
		t.Fatalf("no WAL file of %s could be purged (%d files, snapshot at %d)", dataDir, len(wals), snapIndex)
	}
	return removed
}

// TestRestoredDataDirRaftLog: a copy or a move of a running member's data
// directory fails however long the member ran, whether or not it was
// itself a restore and whether or not the original is still there; a
// restore passes however long etcd then ran on it.
func TestRestoredDataDirRaftLog(t *testing.T) {
	const (
		bootstrapped = "raft log starts as etcd starts a new member's, not as `etcdutl snapshot restore` starts one: /var/lib/etcd-from-backup is a copy or a move of a running member's data directory"
		ownWrites    = "raft log holds 8 of the snapshot's 8 newest writes: the etcd that made them ran on this data, so /var/lib/etcd-from-backup is a copy or a move"
	)
	removeOriginal := func(t *testing.T, n *rootedNode, orig *testEtcd) {
		orig.stop()
		if err := os.RemoveAll(n.path("/var/lib/etcd")); err != nil {
			t.Fatal(err)
		}
	}
	// runOn starts etcd on the directory, as the learner's edited
	// etcd.yaml does, and writes to it.
	runOn := func(t *testing.T, n *rootedNode, opts ...func(*embed.Config)) {
		te := startEtcd(t, n.path(restoredDir), nil, opts...)
		te.put(t, configMap("shop", "new", map[string]string{"a": "b"}))
		te.stop()
	}
	tests := []struct {
		name             string
		restoredOriginal bool
		setup            func(t *testing.T, n *rootedNode, orig *testEtcd, opt func(*embed.Config))
		status           Status
		msg              string
		ev               string // found in an evidence Got
	}{
		{"copied while running, original removed", false, func(t *testing.T, n *rootedNode, orig *testEtcd, _ func(*embed.Config)) {
			copyDir(t, n.path("/var/lib/etcd"), n.path(restoredDir))
			removeOriginal(t, n, orig)
		}, StatusFail, bootstrapped, "index 0 with no snapshot record: a member etcd created"},
		{"moved, etcd run on it", false, func(t *testing.T, n *rootedNode, orig *testEtcd, opt func(*embed.Config)) {
			orig.stop()
			if err := os.Rename(n.path("/var/lib/etcd"), n.path(restoredDir)); err != nil {
				t.Fatal(err)
			}
			runOn(t, n, opt)
		}, StatusFail, bootstrapped, "index 0 with no snapshot record"},
		{"copied, oldest WAL files purged, etcd run on it", false, func(t *testing.T, n *rootedNode, orig *testEtcd, opt func(*embed.Config)) {
			copyDir(t, n.path("/var/lib/etcd"), n.path(restoredDir))
			removeOriginal(t, n, orig)
			purgeWAL(t, n.path(restoredDir), 5)
			runOn(t, n, opt)
		}, StatusFail, ownWrites, "not kept: the oldest WAL file starts at index"},
		{"restored original, copied while running, original removed", true, func(t *testing.T, n *rootedNode, orig *testEtcd, _ func(*embed.Config)) {
			copyDir(t, n.path("/var/lib/etcd"), n.path(restoredDir))
			removeOriginal(t, n, orig)
		}, StatusFail, ownWrites, "snapshot record at index 1, term 1"},
		{"restored original, moved, etcd run on it", true, func(t *testing.T, n *rootedNode, orig *testEtcd, opt func(*embed.Config)) {
			orig.stop()
			if err := os.Rename(n.path("/var/lib/etcd"), n.path(restoredDir)); err != nil {
				t.Fatal(err)
			}
			runOn(t, n, opt)
		}, StatusFail, ownWrites, "8 of 8 in the raft log"},
		{"restored, etcd ran long on it", true, func(t *testing.T, n *rootedNode, orig *testEtcd, opt func(*embed.Config)) {
			orig.stop()
			restore(t, n.path(snapPath), n.path(restoredDir), 0)
			te := startEtcd(t, n.path(restoredDir), nil, opt)
			busy(t, te, "after", 200)
			te.put(t, configMap("shop", "settings", map[string]string{"mode": "blue"})) // the snapshot's value again
		}, StatusPass, "is a restore of /opt/backup/etcd-snapshot.db", "1 of 8 in the raft log"},
		{"restored, etcd ran long on it, oldest WAL files purged", false, func(t *testing.T, n *rootedNode, orig *testEtcd, opt func(*embed.Config)) {
			orig.stop()
			restore(t, n.path(snapPath), n.path(restoredDir), 0)
			te := startEtcd(t, n.path(restoredDir), nil, opt)
			busy(t, te, "after", 200)
			te.stop()
			purgeWAL(t, n.path(restoredDir), 5)
			runOn(t, n, opt)
		}, StatusPass, "is a restore of /opt/backup/etcd-snapshot.db", "not kept: the oldest WAL file starts at index"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := longRunning(t)
			n, orig := ranLong(t, tt.restoredOriginal, opt)
			tt.setup(t, n, orig, opt)
			res := (&RestoredDataDirCheck{Path: restoredDir, Snapshot: snapPath}).Run(context.Background(), Target{Node: n})
			if res.Status != tt.status || !strings.Contains(res.Message, tt.msg) {
				t.Fatalf("got %s %q, want %s containing %q\nevidence: %+v", res.Status, res.Message, tt.status, tt.msg, res.Evidence)
			}
			if tt.ev != "" && !slices.ContainsFunc(res.Evidence, func(e Evidence) bool { return strings.Contains(e.Got, tt.ev) }) {
				t.Errorf("no evidence containing %q in %+v", tt.ev, res.Evidence)
			}
		})
	}
}

// TestRestoredDataDirRepeatedWrite: a write after the restore that puts a
// key's value and lease again (the API server does so for a while with a
// lease it reuses) matches every record of the snapshot with that
// content, and counts once: the restore passes.
func TestRestoredDataDirRepeatedWrite(t *testing.T) {
	n := newRootedNode(t)
	te := startEtcd(t, n.mkdir(t, "/var/lib/etcd"), nil)
	te.put(t, namespace("shop"))
	te.put(t, configMap("shop", "settings", map[string]string{"mode": "blue"}))
	te.put(t, configMap("shop", "other", map[string]string{"a": "b"}))
	te.put(t, configMap("shop", "settings", map[string]string{"mode": "blue"}))
	n.mkdir(t, "/opt/backup")
	te.save(t, n.path(snapPath))
	te.stop()
	restore(t, n.path(snapPath), n.path(restoredDir), 0)
	after := startEtcd(t, n.path(restoredDir), nil)
	after.put(t, configMap("shop", "settings", map[string]string{"mode": "blue"}))

	res := (&RestoredDataDirCheck{Path: restoredDir, Snapshot: snapPath}).Run(context.Background(), Target{Node: n})
	if res.Status != StatusPass || !hasEvidence(res, "1 of 3 in the raft log") {
		t.Fatalf("got %s %q, want pass with 1 of 3 of the snapshot's writes in the raft log\nevidence: %+v", res.Status, res.Message, res.Evidence)
	}
}
