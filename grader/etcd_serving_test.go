package grader

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/ckat/ckat/internal/kubeadm"
	"github.com/ckat/ckat/internal/testbin"
)

// etcdctlNode gives n an etcdctl (ckat's multi-call binary, as on a lab
// node) and an etcd manifest naming pki's certificates.
func etcdctlNode(t *testing.T, n *rootedNode, pki *etcdPKI, dataDir string) {
	t.Helper()
	n.pathDir = t.TempDir()
	if err := os.Symlink(testbin.Ckat(t), filepath.Join(n.pathDir, "etcdctl")); err != nil {
		t.Fatal(err)
	}
	n.write(t, kubeadm.EtcdManifest, []byte(fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: etcd
  namespace: kube-system
spec:
  hostNetwork: true
  containers:
  - name: etcd
    image: registry.k8s.io/etcd:3.7.3-0
    command:
    - etcd
    - --data-dir=%[1]s
    - --cert-file=%[2]s
    - --key-file=%[3]s
    - --trusted-ca-file=%[4]s
    - --client-cert-auth=true
    volumeMounts:
    - name: etcd-data
      mountPath: %[1]s
  volumes:
  - name: etcd-data
    hostPath:
      path: %[1]s
      type: DirectoryOrCreate
`, dataDir, pki.serverCert, pki.serverKey, pki.caCert)))
}

func TestEtcdServingCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the built ckat as etcdctl")
	}
	tests := []struct {
		name    string
		setup   func(t *testing.T, n *rootedNode, pki *etcdPKI) string // returns the endpoint
		dataDir string
		status  Status
		msg     string
	}{
		{"healthy", func(t *testing.T, n *rootedNode, pki *etcdPKI) string {
			return startEtcd(t, n.mkdir(t, "/var/lib/etcd"), pki).endpoint
		}, "", StatusPass, "answers at https://127.0.0.1:"},
		{"serves the restored dir", func(t *testing.T, n *rootedNode, pki *etcdPKI) string {
			snapshotAndRestore(t, n, pki, 0, namespace("shop")).stop()
			te := startEtcd(t, n.path(restoredDir), pki)
			te.put(t, configMap("shop", "after-restore", map[string]string{"a": "b"}))
			return te.endpoint
		}, restoredDir, StatusPass, "etcd serves the data in /var/lib/etcd-from-backup"},
		// etcd's documented restore for Kubernetes: every revision below
		// the bumped one is compacted, so none of them can be read.
		{"serves a restore made with --bump-revision --mark-compacted", func(t *testing.T, n *rootedNode, pki *etcdPKI) string {
			snapshotAndRestore(t, n, pki, 1_000_000_000, namespace("shop"), configMap("shop", "settings", map[string]string{"a": "b"})).stop()
			return startEtcd(t, n.path(restoredDir), pki).endpoint
		}, restoredDir, StatusPass, "etcd serves the data in /var/lib/etcd-from-backup (revision 1000000"},
		{"serves the original, not a restore made with --bump-revision", func(t *testing.T, n *rootedNode, pki *etcdPKI) string {
			orig := snapshotAndRestore(t, n, pki, 1_000_000_000, namespace("shop"))
			orig.put(t, namespace("after-snapshot"))
			return orig.endpoint
		}, restoredDir, StatusFail, "was restored to start at revision 1000000"},
		// The newest write before the served revision is a delete: etcd
		// has nothing for that key at the served revision.
		{"serves the restored dir, whose newest write is a delete", func(t *testing.T, n *rootedNode, pki *etcdPKI) string {
			snapshotAndRestore(t, n, pki, 0, namespace("shop")).stop()
			te := startEtcd(t, n.path(restoredDir), pki)
			te.put(t, configMap("shop", "short-lived", map[string]string{"a": "b"}))
			te.delete(t, "/registry/configmaps/shop/short-lived")
			return te.endpoint
		}, restoredDir, StatusPass, "etcd serves the data in /var/lib/etcd-from-backup"},
		{"serves the original, not the restored dir", func(t *testing.T, n *rootedNode, pki *etcdPKI) string {
			orig := originalAfterRestore(t, n, pki)
			return orig.endpoint
		}, restoredDir, StatusFail, "etcd is not serving /var/lib/etcd-from-backup"},
		{"the restored dir does not exist", func(t *testing.T, n *rootedNode, pki *etcdPKI) string {
			// The learner restored into /var/lib/etcd itself: nothing is
			// at the path the task names, which is a wrong answer, not a
			// failure to look.
			return startEtcd(t, n.mkdir(t, "/var/lib/etcd"), pki).endpoint
		}, restoredDir, StatusFail, "/var/lib/etcd-from-backup holds no etcd database (/var/lib/etcd-from-backup/member/snap/db does not exist)"},
		{"serves another dir at the same revision", func(t *testing.T, n *rootedNode, pki *etcdPKI) string {
			other := startEtcd(t, n.mkdir(t, "/var/lib/etcd-other"), pki)
			other.put(t, namespace("a"))
			other.stop()
			restoredLike := startEtcd(t, n.path(restoredDir), nil)
			restoredLike.put(t, namespace("b"))
			restoredLike.stop()
			return startEtcd(t, n.path("/var/lib/etcd-other"), pki).endpoint
		}, restoredDir, StatusFail, "etcd does not serve the data in /var/lib/etcd-from-backup"},
		{"etcd restarts on the restored dir while the check looks", func(t *testing.T, n *rootedNode, pki *etcdPKI) string {
			// The learner has just edited etcd.yaml: the original etcd
			// still serves, at a revision the restored dir never had,
			// until the node replaces it on the same port.
			orig := originalAfterRestore(t, n, pki)
			port, err := strconv.Atoi(orig.endpoint[strings.LastIndex(orig.endpoint, ":")+1:])
			if err != nil {
				t.Fatal(err)
			}
			started := make(chan error, 1)
			go func() {
				time.Sleep(1500 * time.Millisecond)
				orig.stop()
				te, err := startEtcdOn(n.path(restoredDir), pki, port, orig.peerPort)
				if err == nil {
					t.Cleanup(te.stop)
				}
				started <- err
			}()
			t.Cleanup(func() {
				if err := <-started; err != nil {
					t.Errorf("starting etcd on the restored dir: %v", err)
				}
			})
			return orig.endpoint
		}, restoredDir, StatusPass, "of polling)"},
		{"etcd down", func(t *testing.T, n *rootedNode, pki *etcdPKI) string {
			te := startEtcd(t, n.mkdir(t, "/var/lib/etcd"), pki)
			te.stop()
			return te.endpoint
		}, "", StatusFail, ": connect: connection refused"},
		// The learner's hostPath edit broke etcd.yaml, or etcd.yaml was
		// moved out: the kubelet has stopped etcd and will not start it.
		{"etcd down, its manifest has a tab", func(t *testing.T, n *rootedNode, pki *etcdPKI) string {
			te := startEtcd(t, n.mkdir(t, "/var/lib/etcd"), pki)
			te.stop()
			n.write(t, kubeadm.EtcdManifest, readTestdata(t, "../../internal/staticpod/testdata/invalid-tab.yaml"))
			return te.endpoint
		}, "", StatusFail, ", and nothing will start it: its static pod manifest does not parse as a Pod: /etc/kubernetes/manifests/etcd.yaml: line "},
		{"etcd down, its manifest moved out", func(t *testing.T, n *rootedNode, pki *etcdPKI) string {
			te := startEtcd(t, n.mkdir(t, "/var/lib/etcd"), pki)
			te.stop()
			if err := os.Remove(n.path(kubeadm.EtcdManifest)); err != nil {
				t.Fatal(err)
			}
			return te.endpoint
		}, "", StatusFail, ", and nothing will start it: its static pod manifest /etc/kubernetes/manifests/etcd.yaml is not on the node"},
		{"etcdctl missing on the node", func(t *testing.T, n *rootedNode, pki *etcdPKI) string {
			te := startEtcd(t, n.mkdir(t, "/var/lib/etcd"), pki)
			os.Remove(filepath.Join(n.pathDir, "etcdctl"))
			return te.endpoint
		}, "", StatusError, "cannot run etcdctl on node controlplane"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newRootedNode(t)
			pki := newEtcdPKI(t)
			etcdctlNode(t, n, pki, "/var/lib/etcd")
			endpoint := tt.setup(t, n, pki)
			// A failing look is repeated until the timeout, unless nothing
			// will start etcd; a passing one returns at once.
			atOnce := strings.Contains(tt.msg, "nothing will start it")
			timeout := 30 * time.Second
			if tt.status == StatusFail && !atOnce {
				timeout = 2 * time.Second
			}
			check := &EtcdServingCheck{Endpoint: endpoint, DataDir: tt.dataDir, Timeout: Duration{timeout}}
			began := time.Now()
			res := check.Run(context.Background(), Target{Node: n})
			took := time.Since(began)
			switch {
			case atOnce && took >= check.Timeout.Duration:
				t.Errorf("the check polled for its whole timeout of %s though nothing would start etcd", check.Timeout)
			case tt.status == StatusFail && !atOnce && took < check.Timeout.Duration:
				t.Errorf("a failing check returned after %s, before its timeout of %s", took, check.Timeout)
			}
			if res.Status != tt.status || !strings.Contains(res.Message, tt.msg) {
				t.Fatalf("got %s %q, want %s containing %q\nevidence: %+v", res.Status, res.Message, tt.status, tt.msg, res.Evidence)
			}
			if len(res.Evidence) == 0 {
				t.Fatal("no evidence")
			}
		})
	}
}

// originalAfterRestore starts etcd on /var/lib/etcd, snapshots it,
// restores the snapshot into restoredDir and writes once more to the
// original, which goes on serving at a revision the restored dir never had.
func originalAfterRestore(t *testing.T, n *rootedNode, pki *etcdPKI) *testEtcd {
	t.Helper()
	orig := snapshotAndRestore(t, n, pki, 0, namespace("shop"))
	orig.put(t, configMap("shop", "after-snapshot", map[string]string{"a": "b"}))
	return orig
}

// snapshotAndRestore starts etcd on /var/lib/etcd with objs, saves a
// snapshot to /root/snap.db, restores it into restoredDir (with
// --bump-revision bump when bump > 0) and returns the original, still
// running.
func snapshotAndRestore(t *testing.T, n *rootedNode, pki *etcdPKI, bump uint64, objs ...runtime.Object) *testEtcd {
	t.Helper()
	orig := startEtcd(t, n.mkdir(t, "/var/lib/etcd"), pki)
	for _, o := range objs {
		orig.put(t, o)
	}
	n.mkdir(t, "/root")
	orig.save(t, n.path("/root/snap.db"))
	restore(t, n.path("/root/snap.db"), n.path(restoredDir), bump)
	return orig
}
