package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// TestExamEtcdBackupRestore does the CKA's etcd backup and restore on a
// real lab the way a learner does, through `ckat exec`, and checks the
// outcome from the host through `ckat kubeconfig`: what existed at the
// backup is back, what was made after it is gone.
func TestExamEtcdBackupRestore(t *testing.T) {
	c := newCkat(t)
	c.must("lab", "create", "exam", "--wait", "3m")
	t.Cleanup(func() {
		if t.Failed() {
			for _, pod := range []string{"kube-apiserver-controlplane", "etcd-controlplane"} {
				r := c.run("logs", "--lab", "exam", "--tail", "40", pod)
				t.Logf("ckat logs %s (last 40 lines):\n%s%s", pod, r.stdout, r.stderr)
			}
			if data, err := os.ReadFile(filepath.Join(c.labDir("exam"), "run", "node.log")); err == nil {
				t.Logf("the node's log:\n%s", data)
			}
		}
	})
	exec := func(args ...string) string {
		return c.must(append([]string{"exec", "--lab", "exam", "--"}, args...)...)
	}

	exec("kubectl", "create", "configmap", "before-backup", "--from-literal=taken=before")
	exec("kubectl", "create", "namespace", "team-a")

	// The learner reads the certificate paths from etcd.yaml.
	var etcdPod corev1.Pod
	if err := yaml.Unmarshal([]byte(exec("cat", "/etc/kubernetes/manifests/etcd.yaml")), &etcdPod); err != nil {
		t.Fatalf("etcd.yaml: %v", err)
	}
	flags := map[string]string{}
	for _, arg := range etcdPod.Spec.Containers[0].Command {
		if k, v, ok := strings.Cut(arg, "="); ok {
			flags[k] = v
		}
	}
	tls := []string{"--endpoints=https://127.0.0.1:2379", "--cacert=" + flags["--trusted-ca-file"], "--cert=" + flags["--cert-file"], "--key=" + flags["--key-file"]}
	out := exec(append([]string{"etcdctl", "snapshot", "save", "/opt/snap.db"}, tls...)...)
	if !strings.Contains(out, "Snapshot saved at /opt/snap.db") {
		t.Errorf("etcdctl snapshot save printed %q, want it to say the snapshot was saved", out)
	}

	exec("kubectl", "create", "configmap", "after-backup", "--from-literal=taken=after")

	exec("etcdutl", "snapshot", "restore", "/opt/snap.db", "--data-dir", "/var/lib/etcd-restored")
	exec("mv", "/etc/kubernetes/manifests/kube-apiserver.yaml", "/tmp/")
	exec("sed", "-i", `s#path: /var/lib/etcd$#path: /var/lib/etcd-restored#`, "/etc/kubernetes/manifests/etcd.yaml")
	if m := exec("cat", "/etc/kubernetes/manifests/etcd.yaml"); !strings.Contains(m, "path: /var/lib/etcd-restored") {
		t.Fatalf("sed did not change etcd.yaml's etcd-data hostPath:\n%s", m)
	}

	// Wait until etcd serves the restored data: the key made after the
	// backup is gone and the one made before is there.
	keyOnly := append([]string{"etcdctl", "get", "--keys-only", "--prefix", "/registry/configmaps/default/"}, tls...)
	eventually(t, 3*time.Minute, "etcd serving the restored data", func() error {
		r := c.run(append([]string{"exec", "--lab", "exam", "--"}, keyOnly...)...)
		if r.code != 0 {
			return fmt.Errorf("etcdctl get: exit %d: %s", r.code, r.stderr)
		}
		if strings.Contains(r.stdout, "after-backup") || !strings.Contains(r.stdout, "before-backup") {
			return fmt.Errorf("etcd has %q", r.stdout)
		}
		return nil
	})
	exec("mv", "/tmp/kube-apiserver.yaml", "/etc/kubernetes/manifests/")

	// Wait for the new API server's /readyz, as a learner waits for
	// kubectl to answer: until then an answer may come from the old API
	// server shutting down, or from the new one before its RBAC caches
	// are filled (403 for everyone but system:masters).
	ctx := context.Background()
	cs := c.client("exam")
	eventually(t, 3*time.Minute, "the restarted API server's /readyz from the host", func() error {
		_, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err
	})
	if _, err := cs.CoreV1().ConfigMaps("default").Get(ctx, "before-backup", metav1.GetOptions{}); err != nil {
		t.Errorf("configmap before-backup, made before the backup: %v", err)
	}
	if _, err := cs.CoreV1().Namespaces().Get(ctx, "team-a", metav1.GetOptions{}); err != nil {
		t.Errorf("namespace team-a, made before the backup: %v", err)
	}
	_, err := cs.CoreV1().ConfigMaps("default").Get(ctx, "after-backup", metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("configmap after-backup, made after the backup: got %v, want NotFound", err)
	}
}
