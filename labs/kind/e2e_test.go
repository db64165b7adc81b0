//go:build e2e_kind

// The end-to-end tests below need a container engine (Docker on GitHub's
// ubuntu-latest) and network access to pull kind's node image. Run them
// with: go test -tags e2e_kind -timeout 80m ./labs/kind/...

package kind

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ckat/ckat/labs"
)

func requireEngine(t *testing.T) {
	t.Helper()
	if _, err := FindEngine(context.Background()); err != nil {
		t.Fatalf("the e2e_kind tests need a container engine: %v", err)
	}
}

// TestKindLabLifecycle creates a kind lab and goes through what the CLI
// and the grader do with it: node files, commands, copy-out, the etcd
// tools, stop, start, and delete with its ownership check.
func TestKindLabLifecycle(t *testing.T) {
	requireEngine(t)
	t.Setenv("CKAT_HOME", t.TempDir())
	ctx := context.Background()
	p := New(nil)
	const name = "e2e-lifecycle"
	began := time.Now()
	l, err := p.Create(ctx, labs.CreateOptions{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("created in %s", time.Since(began).Round(time.Second))
	t.Cleanup(func() { deleteClusters(t, ClusterName(name)) })
	n := l.Node()
	if n.Name() != "ckat-e2e-lifecycle-control-plane" {
		t.Errorf("node name %q", n.Name())
	}
	manifest, err := n.ReadFile(ctx, "/etc/kubernetes/manifests/etcd.yaml")
	if err != nil || !bytes.Contains(manifest, []byte("--data-dir=/var/lib/etcd")) {
		t.Errorf("etcd.yaml: %v\n%s", err, manifest)
	}
	entries, err := n.ReadDir(ctx, "/etc/kubernetes/manifests")
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if err != nil || !strings.Contains(strings.Join(names, " "), "etcd.yaml kube-apiserver.yaml") {
		t.Errorf("manifests: %v %v", names, err)
	}
	if fi, err := n.Stat(ctx, "/var/lib/etcd"); err != nil || !fi.IsDir() {
		t.Errorf("/var/lib/etcd: %v", err)
	}
	host, release, err := n.HostPath(ctx, "/etc/kubernetes/pki/etcd")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(host, "ca.crt")); err != nil {
		t.Errorf("copied pki: %v", err)
	}
	release()

	// The installed tools are the cluster's etcd version and work.
	var etcdOut, ctlOut, utlOut bytes.Buffer
	crictl := labs.Command{Args: []string{"sh", "-c", "crictl exec $(crictl ps --name '^etcd$' -q) etcd --version"}, Stdout: &etcdOut}
	if err := n.Exec(ctx, crictl); err != nil {
		t.Fatal(err)
	}
	if err := n.Exec(ctx, labs.Command{Args: []string{"etcdctl", "version"}, Stdout: &ctlOut}); err != nil {
		t.Fatal(err)
	}
	if err := n.Exec(ctx, labs.Command{Args: []string{"etcdutl", "version"}, Stdout: &utlOut}); err != nil {
		t.Fatal(err)
	}
	ev, _ := parseEtcdVersion(etcdOut.String(), "etcd Version:")
	cv, _ := parseEtcdVersion(ctlOut.String(), "etcdctl version:")
	uv, _ := parseEtcdVersion(utlOut.String(), "etcdutl version:")
	if ev == "" || cv != ev || uv != ev {
		t.Errorf("etcd %q, etcdctl %q, etcdutl %q", ev, cv, uv)
	}
	snap := `ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key snapshot save /root/e2e.db && etcdutl snapshot status /root/e2e.db -w json`
	var status bytes.Buffer
	if err := n.Exec(ctx, labs.Command{Args: []string{"sh", "-c", snap}, Stdout: &status}); err != nil {
		t.Fatalf("snapshot save and status on the node: %v", err)
	}
	var st struct{ Revision int64 }
	if err := json.Unmarshal(status.Bytes(), &st); err != nil || st.Revision == 0 {
		t.Errorf("snapshot status %q: %v", status.String(), err)
	}

	st0, err := l.Status(ctx)
	if err != nil || st0.State != labs.StateRunning {
		t.Errorf("status %+v, %v", st0, err)
	}

	// Delete refuses when the marker names another create.
	dir, _ := labs.Dir(name)
	good, _ := readClusterRecord(dir)
	bad := good
	bad.UID = "not-this-create"
	if err := writeClusterRecord(dir, bad); err != nil {
		t.Fatal(err)
	}
	if err := p.Delete(ctx, name); err == nil || !strings.Contains(err.Error(), "refusing to delete kind cluster") {
		t.Errorf("Delete with a foreign marker: %v", err)
	}
	if err := writeClusterRecord(dir, good); err != nil {
		t.Fatal(err)
	}

	if err := p.Stop(ctx, name); err != nil {
		t.Fatal(err)
	}
	if st, err := l.Status(ctx); err != nil || st.State != labs.StateStopped {
		t.Errorf("after stop: %+v, %v", st, err)
	}
	if err := p.Start(ctx, name); err != nil {
		t.Fatal(err)
	}
	if st, err := l.Status(ctx); err != nil || st.State != labs.StateRunning {
		t.Errorf("after start: %+v, %v", st, err)
	}
	// Delete reads the marker from a stopped container too.
	if err := p.Stop(ctx, name); err != nil {
		t.Fatal(err)
	}
	if err := p.Delete(ctx, name); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("lab directory left: %v", err)
	}
	kp, _, _ := p.kindProvider(ctx)
	clusters, _ := kp.List()
	for _, c := range clusters {
		if c == ClusterName(name) {
			t.Errorf("kind cluster %s left", c)
		}
	}
}

// deleteClusters deletes the kind clusters whose names start with prefix
// that a failed test left behind.
func deleteClusters(t *testing.T, prefix string) {
	kp, _, err := New(nil).kindProvider(context.Background())
	if err != nil {
		return
	}
	clusters, _ := kp.List()
	for _, c := range clusters {
		if strings.HasPrefix(c, prefix) {
			t.Logf("deleting leftover kind cluster %s", c)
			_ = kp.Delete(c, filepath.Join(t.TempDir(), "kubeconfig"))
		}
	}
}

// Exported for the end-to-end tests of package kind_test, which import
// scenarios/selftest (it imports this package).
var (
	RequireEngine  = requireEngine
	DeleteClusters = deleteClusters
)
