package e2e

import (
	"testing"
	"time"
)

// BenchmarkGradeRestoredLab times `ckat grade` on a real lab whose learner
// restored etcd correctly (etcd-restore's reference solution), once the
// cluster has settled: every check runs, etcdctl on the node included
// (the target is under 1 s).
func BenchmarkGradeRestoredLab(b *testing.B) {
	c := newCkat(b)
	c.must("start", "etcd-restore", "--seed", "3")
	c.must("exec", "--", "bash", "-c", c.must("solution"))
	deadline := time.Now().Add(3 * time.Minute)
	for c.run("grade").code != 0 {
		if time.Now().After(deadline) {
			b.Fatalf("the reference solution does not grade full marks: %s", c.run("grade").stdout)
		}
		time.Sleep(2 * time.Second)
	}
	b.ResetTimer()
	for b.Loop() {
		if r := c.run("grade", "-o", "json"); r.code != 0 {
			b.Fatalf("ckat grade: exit %d: %s", r.code, r.stdout)
		}
	}
}
