package e2e

import (
	"context"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ckat/ckat/labs"
)

// TestTwoLabsAtOnce creates two labs at the same time and checks that each
// runs on its own node address and ports, with its own data.
func TestTwoLabsAtOnce(t *testing.T) {
	c := newCkat(t)
	names := []string{"one", "two"}
	results := make([]result, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = c.run("lab", "create", name, "--wait", "3m")
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 {
			t.Fatalf("ckat lab create %s: exit %d: %s", names[i], r.code, r.stderr)
		}
	}
	one, two := c.state("one"), c.state("two")
	if one.NodeIP == two.NodeIP || one.APIPort == two.APIPort || one.EtcdPort == two.EtcdPort {
		t.Errorf("labs share an address: one %+v, two %+v", one, two)
	}
	statuses := c.statuses()
	for _, name := range names {
		if statuses[name].State != labs.StateRunning {
			t.Errorf("lab %s is %s, want running", name, statuses[name].State)
		}
	}

	ctx := context.Background()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "only-in-one"}}
	if _, err := c.client("one").CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.client("two").CoreV1().ConfigMaps("default").Get(ctx, "only-in-one", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("lab two sees lab one's configmap: %v", err)
	}
	if got := c.must("exec", "--lab", "two", "--", "hostname"); got != "controlplane\n" {
		t.Errorf("hostname on lab two: %q", got)
	}

	c.must("delete", "--all")
	if s := c.statuses(); len(s) != 0 {
		t.Errorf("after delete --all, ckat labs lists %v", s)
	}
}
