package grader

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// debianEtcdctl is a third-party etcdctl 3.4 (Debian's etcd-client), which
// learners on older clusters use; CI installs it.
const debianEtcdctl = "/usr/bin/etcdctl"

func requireDebianEtcdctl(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs a third-party etcdctl")
	}
	if _, err := os.Stat(debianEtcdctl); err != nil {
		t.Fatalf("%s is missing: apt-get install etcd-client (CI's .ci/run installs it)", debianEtcdctl)
	}
}

// TestSnapshotFromEtcdctl34 grades a snapshot saved, and a data directory
// restored, by etcdctl 3.4 from a real etcd.
func TestSnapshotFromEtcdctl34(t *testing.T) {
	requireDebianEtcdctl(t)
	n := newRootedNode(t)
	te := startEtcd(t, n.mkdir(t, "/var/lib/etcd"), nil)
	te.put(t, namespace("shop"))
	te.put(t, secret("shop", "db", map[string]string{"password": "s3cr3t-value"}))
	n.mkdir(t, "/opt/backup")
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(debianEtcdctl, args...)
		cmd.Env = append(os.Environ(), "ETCDCTL_API=3")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("etcdctl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("--endpoints="+te.endpoint, "snapshot", "save", n.path(snapPath))
	te.stop()
	run("snapshot", "restore", n.path(snapPath), "--data-dir="+n.path(restoredDir), "--name=controlplane",
		"--initial-cluster=controlplane=http://127.0.0.1:2380", "--initial-advertise-peer-urls=http://127.0.0.1:2380")

	ctx := context.Background()
	target := Target{Node: n}
	if r := (&SnapshotFileCheck{Path: snapPath}).Run(ctx, target); r.Status != StatusPass || !strings.Contains(r.Message, "at revision 3 with 2 keys") {
		t.Errorf("snapshot file: %s %q", r.Status, r.Message)
	}
	contents := &SnapshotContentsCheck{Path: snapPath, Present: []ObjectRef{
		{Kind: "Secret", Namespace: "shop", Name: "db", Data: map[string]string{"password": "s3cr3t-value"}},
	}}
	if r := contents.Run(ctx, target); r.Status != StatusPass {
		t.Errorf("snapshot contents: %s %q", r.Status, r.Message)
	}
	if r := (&RestoredDataDirCheck{Path: restoredDir, Snapshot: snapPath}).Run(ctx, target); r.Status != StatusPass {
		t.Errorf("restored data dir: %s %q %+v", r.Status, r.Message, r.Evidence)
	}
}
