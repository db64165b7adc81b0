package grader

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const restoredDir = "/var/lib/etcd-from-backup"

// labNode is a node with an original etcd at /var/lib/etcd holding a few
// objects, and a snapshot of it at snapPath; the original has moved on
// since (the incident).
func labNode(t *testing.T) (*rootedNode, *testEtcd) {
	t.Helper()
	n := newRootedNode(t)
	te := startEtcd(t, n.mkdir(t, "/var/lib/etcd"), nil)
	te.put(t, namespace("shop"))
	te.put(t, configMap("shop", "settings", map[string]string{"mode": "blue"}))
	n.mkdir(t, "/opt/backup")
	te.save(t, n.path(snapPath))
	te.put(t, secret("shop", "late", map[string]string{"token": "abc"}))
	te.put(t, configMap("shop", "settings", map[string]string{"mode": "red"}))
	return n, te
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v: %s", err, out)
	}
}

func TestRestoredDataDirCheck(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(t *testing.T, n *rootedNode, orig *testEtcd)
		path   string
		status Status
		msg    string
		ev     string // an evidence Got that must appear
	}{
		{"restored", func(t *testing.T, n *rootedNode, _ *testEtcd) {
			restore(t, n.path(snapPath), n.path(restoredDir), 0)
		}, restoredDir, StatusPass, "is a restore of /opt/backup/etcd-snapshot.db: its key space at revision 3 matches", "snapshot record at index 1, term 1"},
		{"restored, served and written to (etcd running)", func(t *testing.T, n *rootedNode, orig *testEtcd) {
			orig.stop()
			restore(t, n.path(snapPath), n.path(restoredDir), 0)
			te := startEtcd(t, n.path(restoredDir), nil)
			te.put(t, configMap("shop", "new", map[string]string{"a": "b"}))
			te.e.Server.Backend().ForceCommit() // as etcd does within 100ms
		}, restoredDir, StatusPass, "with newer writes up to revision 4", "a copy (a running etcd holds the file's lock)"},
		{"restored with --bump-revision and compacted, then written to", func(t *testing.T, n *rootedNode, orig *testEtcd) {
			orig.stop()
			restore(t, n.path(snapPath), n.path(restoredDir), 1000)
			te := startEtcd(t, n.path(restoredDir), nil)
			te.put(t, configMap("shop", "settings", map[string]string{"mode": "green"}))
			te.put(t, configMap("shop", "new", map[string]string{"a": "b"}))
			te.compact(t, 1004)
			te.stop()
		}, restoredDir, StatusPass, "matches the snapshot", "1 equal, 0 different, 1 rewritten since (compacted at 1004)"},
		{"restored, served, then compacted past the snapshot", func(t *testing.T, n *rootedNode, orig *testEtcd) {
			orig.stop()
			restore(t, n.path(snapPath), n.path(restoredDir), 0)
			te := startEtcd(t, n.path(restoredDir), nil)
			te.put(t, configMap("shop", "settings", map[string]string{"mode": "green"}))
			rev := te.put(t, configMap("shop", "new", map[string]string{"a": "b"}))
			te.compact(t, rev)
			te.stop()
		}, restoredDir, StatusPass, "matches the snapshot", ""},
		{"old copy of /var/lib/etcd from before the snapshot", func(t *testing.T, n *rootedNode, orig *testEtcd) {
			orig.stop()
			other := startEtcd(t, "", nil)
			other.put(t, namespace("shop"))
			other.stop()
			copyDir(t, other.dataDir, n.path(restoredDir))
		}, restoredDir, StatusFail, "older than the snapshot's revision 3", ""},
		{"copy of /var/lib/etcd after the incident", func(t *testing.T, n *rootedNode, orig *testEtcd) {
			orig.stop()
			copyDir(t, n.path("/var/lib/etcd"), n.path(restoredDir))
		}, restoredDir, StatusFail, "holds revision 4 exactly as /var/lib/etcd does", ""},
		{"restore of a later snapshot", func(t *testing.T, n *rootedNode, orig *testEtcd) {
			later := filepath.Join(t.TempDir(), "later.db")
			orig.save(t, later)
			orig.stop()
			restore(t, later, n.path(restoredDir), 0)
		}, restoredDir, StatusFail, "restored from a later snapshot or copied from /var/lib/etcd", ""},
		{"restore of another cluster's snapshot", func(t *testing.T, n *rootedNode, orig *testEtcd) {
			other := startEtcd(t, "", nil)
			other.put(t, namespace("elsewhere"))
			other.put(t, configMap("shop", "settings", map[string]string{"mode": "blue"}))
			other.put(t, namespace("more"))
			snap := filepath.Join(t.TempDir(), "other.db")
			other.save(t, snap)
			restore(t, snap, n.path(restoredDir), 0)
		}, restoredDir, StatusFail, "key space at revision 3 differs from the snapshot", ""},
		{"empty directory", func(t *testing.T, n *rootedNode, _ *testEtcd) { n.mkdir(t, restoredDir) }, restoredDir, StatusFail, "is empty: nothing was restored there", ""},
		{"missing", func(t *testing.T, n *rootedNode, _ *testEtcd) {}, restoredDir, StatusFail, "no directory at /var/lib/etcd-from-backup", ""},
		{"a file", func(t *testing.T, n *rootedNode, _ *testEtcd) {
			data, _ := os.ReadFile(n.path(snapPath))
			n.write(t, restoredDir, data)
		}, restoredDir, StatusFail, "is a file, not a data directory", ""},
		{"the original itself", func(t *testing.T, n *rootedNode, _ *testEtcd) {}, "/var/lib/etcd", StatusFail, "is the original data directory /var/lib/etcd (same path)", ""},
		{"a symlink to the original", func(t *testing.T, n *rootedNode, _ *testEtcd) {
			n.symlink(t, "/var/lib/etcd", restoredDir)
		}, restoredDir, StatusFail, "is the original data directory /var/lib/etcd (same resolved path)", ""},
		{"a bind mount of the original", func(t *testing.T, n *rootedNode, _ *testEtcd) {
			n.symlink(t, "/var/lib/etcd", restoredDir)
			n.bindMounts = map[string]bool{restoredDir: true}
		}, restoredDir, StatusFail, "is the original data directory /var/lib/etcd (same device and inode)", ""},
		// /var/lib/etcd replaced by a symlink to the restore: the
		// kubelet's hostPath follows it, so etcd runs on the restore.
		{"/var/lib/etcd a symlink to the restore, served and written to", func(t *testing.T, n *rootedNode, orig *testEtcd) {
			orig.stop()
			restore(t, n.path(snapPath), n.path(restoredDir), 0)
			if err := os.Rename(n.path("/var/lib/etcd"), n.path("/var/lib/etcd-old")); err != nil {
				t.Fatal(err)
			}
			n.symlink(t, restoredDir, "/var/lib/etcd")
			// The symlink resolves inside the node's root, not on the
			// host: etcd runs on its target, as the kubelet's bind
			// mount of /var/lib/etcd would make it.
			te := startEtcd(t, n.path(restoredDir), nil)
			te.put(t, configMap("shop", "new", map[string]string{"a": "b"}))
			te.e.Server.Backend().ForceCommit()
		}, restoredDir, StatusPass, "is a restore of /opt/backup/etcd-snapshot.db", "to /var/lib/etcd-from-backup"},
		{"/var/lib/etcd moved to the new directory and linked back", func(t *testing.T, n *rootedNode, orig *testEtcd) {
			orig.stop()
			if err := os.Rename(n.path("/var/lib/etcd"), n.path(restoredDir)); err != nil {
				t.Fatal(err)
			}
			n.symlink(t, restoredDir, "/var/lib/etcd")
		}, restoredDir, StatusFail, "is a copy or a move of", "to /var/lib/etcd-from-backup"},
		{"no wal", func(t *testing.T, n *rootedNode, _ *testEtcd) {
			restore(t, n.path(snapPath), n.path(restoredDir), 0)
			os.RemoveAll(n.path(restoredDir + "/member/wal"))
		}, restoredDir, StatusFail, "has no member/wal/*.wal", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, orig := labNode(t)
			tt.setup(t, n, orig)
			res := (&RestoredDataDirCheck{Path: tt.path, Snapshot: snapPath}).Run(context.Background(), Target{Node: n})
			if res.Status != tt.status || !strings.Contains(res.Message, tt.msg) {
				t.Fatalf("got %s %q, want %s containing %q\nevidence: %+v", res.Status, res.Message, tt.status, tt.msg, res.Evidence)
			}
			if len(res.Evidence) == 0 {
				t.Fatal("no evidence")
			}
			if tt.ev != "" && !hasEvidence(res, tt.ev) {
				t.Errorf("no evidence %q in %+v", tt.ev, res.Evidence)
			}
		})
	}
}

func hasEvidence(r Result, got string) bool {
	for _, e := range r.Evidence {
		if e.Got == got {
			return true
		}
	}
	return false
}

// noCopyNode fails the test when anything is copied off the node, which
// on kind means a tar of the whole path.
type noCopyNode struct {
	*rootedNode
	t *testing.T
}

func (n noCopyNode) HostPath(ctx context.Context, p string) (string, func(), error) {
	n.t.Errorf("HostPath(%s) called: telling the directories apart must copy nothing", p)
	return n.rootedNode.HostPath(ctx, p)
}

// TestRestoredDataDirSameDirCopiesNothing asks the node where a symlink
// leads instead of copying both directories off it.
func TestRestoredDataDirSameDirCopiesNothing(t *testing.T) {
	n, _ := labNode(t)
	n.symlink(t, "/var/lib/etcd", restoredDir)
	res := (&RestoredDataDirCheck{Path: restoredDir, Snapshot: snapPath}).Run(context.Background(), Target{Node: noCopyNode{n, t}})
	if res.Status != StatusFail || !strings.Contains(res.Message, "is the original data directory /var/lib/etcd (same resolved path)") {
		t.Errorf("got %s %q, want the symlink found to be the original", res.Status, res.Message)
	}
}
