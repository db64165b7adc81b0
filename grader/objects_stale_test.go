package grader

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/etcdutl/v3/snapshot"
	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestObjectsCheckStaleCache restores etcd under a running API server, as
// a learner does who never moves kube-apiserver.yaml out: the API server's
// watch cache keeps the objects from before the restore, so `kubectl get`
// (a LIST) shows them while a GET by name reads the restored etcd. The
// check fails, naming the cause; once the API server restarts it passes.
func TestObjectsCheckStaleCache(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and kube-apiserver; skipped with -short")
	}
	srv, err := startTestAPIServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.stop)
	c := srv.client(t)
	seedObjects(t, c)
	ctx := context.Background()

	snap := filepath.Join(t.TempDir(), "snap.db")
	cfg := clientv3.Config{Endpoints: []string{srv.etcdClient.String()}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()}
	if _, err := snapshot.NewV3(zap.NewNop()).Save(ctx, cfg, snap); err != nil {
		t.Fatalf("snapshot save: %v", err)
	}
	// The incident, after the backup.
	if err := c.CoreV1().ConfigMaps(objectsNS).Delete(ctx, refConfigMap.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	intruder := ObjectRef{Kind: "Secret", Namespace: objectsNS, Name: "intruder"}
	if _, err := c.CoreV1().Secrets(objectsNS).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: intruder.Name},
		StringData: map[string]string{"stolen": "yes"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The restore: etcd stops, and starts again on the restored data at
	// the same address; kube-apiserver runs on.
	srv.etcd.Close()
	restored := filepath.Join(srv.dir, "etcd-restored")
	restore(t, snap, restored, 0)
	if _, err := srv.startEtcdOn(restored); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, err := c.CoreV1().ConfigMaps(objectsNS).Get(ctx, refConfigMap.Name, metav1.GetOptions{})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a GET by name never saw the restored ConfigMap: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	// What the learner's kubectl get shows: the cache from before.
	list, err := c.CoreV1().ConfigMaps(objectsNS).List(ctx, metav1.ListOptions{Limit: kubectlChunkSize})
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(list.Items, func(cm corev1.ConfigMap) bool { return cm.Name == refConfigMap.Name }) {
		t.Fatal("the LIST already shows the restored ConfigMap: the API server's cache is not stale, so this test proves nothing")
	}

	// A timeout does not wait out a stale cache: it does not mend itself.
	check := ObjectsCheck{Present: []ObjectRef{refNamespace, refConfigMap, refSecret, refWeb, refService}, Absent: []ObjectRef{intruder}, Timeout: Duration{time.Minute}}
	began := time.Now()
	res := check.Run(ctx, Target{RESTConfig: srv.config})
	if took := time.Since(began); took > 30*time.Second {
		t.Errorf("a stale cache was reported after %s: the check waited on it", took.Round(time.Second))
	}
	for _, want := range []string{
		"kubectl get (a LIST, answered from the API server's cache) and a GET by name (read from etcd) disagree: ",
		"configmap ckat-objects/app-config: kubectl get does not list it, a GET by name finds it",
		"secret ckat-objects/intruder: kubectl get lists it, a GET by name finds none (404 NotFound)",
		"The API server started before etcd was restored, so its cache is older than etcd: restart kube-apiserver by moving kube-apiserver.yaml out of /etc/kubernetes/manifests and back",
	} {
		if res.Status != StatusFail || !strings.Contains(res.Message, want) {
			t.Fatalf("Run = %s %q, want fail containing %q", res.Status, res.Message, want)
		}
	}
	for _, row := range []Evidence{
		{Source: "API server: LIST configmaps in ckat-objects (kubectl get)", Field: "exists", Want: "yes", Got: "no (not listed)"},
		{Source: "API server: GET configmap ckat-objects/app-config", Field: "exists", Want: "yes", Got: "yes"},
		{Source: "API server: GET configmap ckat-objects/app-config", Field: "data.mode", Want: `"production"`, Got: `"production"`},
		{Source: "API server: LIST secrets in ckat-objects (kubectl get)", Field: "exists", Want: "no", Got: "yes"},
		{Source: "API server: GET secret ckat-objects/intruder", Field: "exists", Want: "no", Got: "no (404 NotFound)"},
		{Source: bothViews(refWeb), Field: "spec.template.spec.containers[0].image", Want: "nginx:1.27", Got: "nginx:1.27"},
	} {
		if !slices.Contains(res.Evidence, row) {
			t.Errorf("evidence lacks %+v:\n%+v", row, res.Evidence)
		}
	}

	for _, e := range res.Evidence {
		if strings.Contains(e.Got+e.Want, "s3cr3t") {
			t.Errorf("a secret value shows in the evidence: %+v", e)
		}
	}

	// The fix the message names: restart kube-apiserver.
	srv.stopKubeAPIServer()
	if err := srv.startKubeAPIServer(); err != nil {
		t.Fatal(err)
	}
	if res := check.Run(ctx, Target{RESTConfig: srv.config}); res.Status != StatusPass {
		t.Fatalf("after the API server restarted: Run = %s %q, want pass\nevidence: %+v", res.Status, res.Message, res.Evidence)
	}
}
