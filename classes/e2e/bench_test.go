package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/ckat/ckat/classes"
	"github.com/ckat/ckat/internal/testbin"
	"github.com/ckat/ckat/labs/local"
)

// idleSettle is how long a lab runs before its idle CPU is measured, and
// idleWindow how long it is measured (the method: its processes'
// CPU time over 30 s, a minute after creation).
const (
	idleSettle = time.Minute
	idleWindow = 30 * time.Second
)

// BenchmarkClassCreate measures `ckat class create` of
// $CKAT_BENCH_LEARNERS learners (4 by default) until every lab is set up,
// several at once as the machine allows: s/op for the class, s/lab.
func BenchmarkClassCreate(b *testing.B) {
	c := newCkat(b)
	n := 4
	if v, err := strconv.Atoi(os.Getenv("CKAT_BENCH_LEARNERS")); err == nil && v > 0 {
		n = v
	}
	api := filepath.Join(testbin.Dir(b, "ckat", "kube-apiserver"), "kube-apiserver")
	var took time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("b%d", i)
		began := time.Now()
		c.must("class", "create", name, "--scenario", "etcd-backup-restore", "--learners", strconv.Itoa(n), "--kube-apiserver", api)
		took += time.Since(began)
		b.StopTimer()
		b.Logf("class of %d: %.1f s", n, time.Since(began).Seconds())
		c.must("class", "delete", name)
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(took.Seconds()/float64(b.N), "s/op")
	b.ReportMetric(took.Seconds()/float64(b.N*n), "s/lab")
	b.ReportMetric(float64(n), "labs")
}

// BenchmarkClassIdleCPU measures one idle lab of a class: the CPU its
// processes use together, in % of a core, running (idle-%core) and frozen
// (frozen-%core), and how long from Thaw until the API server answers a
// LIST (thaw-ms) after idleWindow frozen.
func BenchmarkClassIdleCPU(b *testing.B) {
	c := newCkat(b)
	c.must("class", "create", "idle", "--scenario", "etcd-backup-restore", "--learners", "1", "--kube-apiserver", filepath.Join(testbin.Dir(b, "ckat", "kube-apiserver"), "kube-apiserver"))
	store, err := classes.DefaultStore()
	if err != nil {
		b.Fatal(err)
	}
	class, err := store.Open("idle")
	if err != nil {
		b.Fatal(err)
	}
	learner := class.Learners[0]
	ctx := context.Background()
	lab, err := class.Lab(ctx, learner.Name)
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := lab.RESTConfig(ctx)
	if err != nil {
		b.Fatal(err)
	}
	client := kubernetes.NewForConfigOrDie(cfg)
	dir := c.labDir(learner.Lab)
	cpu := func() float64 {
		before, err := local.CPUTime(dir)
		if err != nil {
			b.Fatal(err)
		}
		time.Sleep(idleWindow)
		after, err := local.CPUTime(dir)
		if err != nil {
			b.Fatal(err)
		}
		return float64(after-before) / float64(idleWindow) * 100
	}
	time.Sleep(idleSettle)
	var idle, frozen, thaw float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		idle += cpu()
		if err := class.Freeze(ctx, learner.Name); err != nil {
			b.Fatal(err)
		}
		frozen += cpu()
		began := time.Now()
		if err := class.Thaw(ctx, learner.Name); err != nil {
			b.Fatal(err)
		}
		if _, err := client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{}); err != nil {
			b.Fatal(err)
		}
		thaw += float64(time.Since(began).Milliseconds())
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(idle/n, "idle-%core")
	b.ReportMetric(frozen/n, "frozen-%core")
	b.ReportMetric(thaw/n, "thaw-ms")
}
