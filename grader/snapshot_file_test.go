package grader

import (
	"context"
	"crypto/rand"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ckat/ckat/labs"
)

const snapPath = "/opt/backup/etcd-snapshot.db"

// seededEtcd starts etcd with a few Kubernetes objects in it.
func seededEtcd(t testing.TB) *testEtcd {
	t.Helper()
	te := startEtcd(t, "", nil)
	te.put(t, namespace("shop"))
	te.put(t, configMap("shop", "settings", map[string]string{"mode": "blue", "retries": "3"}))
	te.put(t, secret("shop", "db", map[string]string{"password": "s3cr3t-value"}))
	te.put(t, deployment("shop", "web", "nginx:1.27"))
	return te
}

// hostPathDeniedNode answers permission denied for every file, as a node does to a
// grader that may not read them.
type hostPathDeniedNode struct{ labs.Node }

func (hostPathDeniedNode) HostPath(context.Context, string) (string, func(), error) {
	return "", nil, &fs.PathError{Op: "open", Path: snapPath, Err: syscall.EACCES}
}

func TestSnapshotFileCheck(t *testing.T) {
	te := seededEtcd(t)
	good := filepath.Join(t.TempDir(), "good.db")
	te.save(t, good)
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	te.stop()
	rawDB, err := os.ReadFile(filepath.Join(te.dataDir, "member", "snap", "db"))
	if err != nil {
		t.Fatal(err)
	}
	random := make([]byte, 64*1024)
	rand.Read(random)
	badTrailer := append([]byte(nil), data...)
	badTrailer[len(badTrailer)-1] ^= 0xff

	tests := []struct {
		name   string
		setup  func(n *rootedNode)
		wrap   func(n labs.Node) labs.Node
		status Status
		msg    string
	}{
		{"snapshot", func(n *rootedNode) { n.write(t, snapPath, data) }, nil, StatusPass, "is an etcd snapshot at revision 5 with 4 keys"},
		{"symlink to a snapshot", func(n *rootedNode) {
			n.write(t, "/root/real.db", data)
			n.symlink(t, "/root/real.db", snapPath)
		}, nil, StatusPass, "is an etcd snapshot"},
		{"missing", func(n *rootedNode) {}, nil, StatusFail, "no snapshot at /opt/backup/etcd-snapshot.db on node controlplane"},
		{"directory", func(n *rootedNode) { n.mkdir(t, snapPath) }, nil, StatusFail, "is a directory, not a snapshot file"},
		{"symlink loop", func(n *rootedNode) {
			n.symlink(t, "/opt/backup/b", snapPath)
			n.symlink(t, snapPath, "/opt/backup/b")
		}, nil, StatusFail, "is a symlink loop"},
		{"dangling symlink", func(n *rootedNode) { n.symlink(t, "/nowhere", snapPath) }, nil, StatusFail, "symlink to a file that does not exist"},
		{"fifo", func(n *rootedNode) {
			n.mkdir(t, "/opt/backup")
			if err := syscall.Mkfifo(n.path(snapPath), 0o600); err != nil {
				t.Fatal(err)
			}
		}, nil, StatusFail, "is a named pipe (FIFO), not a snapshot file"},
		{"empty", func(n *rootedNode) { n.write(t, snapPath, nil) }, nil, StatusFail, "is empty"},
		{"copy of member/snap/db", func(n *rootedNode) { n.write(t, snapPath, rawDB) }, nil, StatusFail,
			"this looks like a copy of member/snap/db, not a snapshot from etcdctl snapshot save"},
		{"truncated", func(n *rootedNode) { n.write(t, snapPath, data[:len(data)/2+100]) }, nil, StatusFail, "truncated: the database needs"},
		{"trailer changed", func(n *rootedNode) { n.write(t, snapPath, badTrailer) }, nil, StatusFail, "sha256 trailer does not match"},
		{"zero-filled", func(n *rootedNode) { n.write(t, snapPath, make([]byte, 1<<20)) }, nil, StatusFail, "starts with 65536 zero bytes"},
		{"1 GiB of zeros", func(n *rootedNode) {
			n.write(t, snapPath, nil)
			if err := os.Truncate(n.path(snapPath), 1<<30); err != nil {
				t.Fatal(err)
			}
		}, nil, StatusFail, "starts with 65536 zero bytes and has no bbolt header"},
		{"random", func(n *rootedNode) { n.write(t, snapPath, random) }, nil, StatusFail, "no valid bbolt meta page"},
		{"etcdctl's error saved as the file", func(n *rootedNode) {
			n.write(t, snapPath, []byte("Error: context deadline exceeded\n"))
		}, nil, StatusFail, `the file is text starting with "Error: context deadline exceeded"`},
		{"permission denied", func(n *rootedNode) { n.write(t, snapPath, data) },
			func(n labs.Node) labs.Node { return hostPathDeniedNode{n} }, StatusError, "permission denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newRootedNode(t)
			tt.setup(n)
			var node labs.Node = n
			if tt.wrap != nil {
				node = tt.wrap(n)
			}
			res := (&SnapshotFileCheck{Path: snapPath}).Run(context.Background(), Target{Node: node})
			if res.Status != tt.status || !strings.Contains(res.Message, tt.msg) {
				t.Fatalf("got %s %q, want %s containing %q", res.Status, res.Message, tt.status, tt.msg)
			}
			if len(res.Evidence) == 0 {
				t.Fatal("no evidence")
			}
		})
	}
}
