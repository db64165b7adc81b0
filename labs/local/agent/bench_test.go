package agent

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkStaticPodStartStop measures a static pod's turnaround: from its
// manifest appearing to its process running (the agent acts on the
// directory's inotify event), and from the manifest going to the process
// gone.
func BenchmarkStaticPodStartStop(b *testing.B) {
	if testing.Short() || os.Geteuid() != 0 {
		b.Skip("starts real processes in mount namespaces: run as root, without -short")
	}
	n := newTestNode(b)
	n.start(b)
	var start, stop time.Duration
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		n.writeManifest(b, "sleeper.yaml", shellPod("sleeper", "exec sleep 1000"))
		s := n.waitReady(b, "sleeper.yaml", 0)
		start += time.Since(t0)
		t1 := time.Now()
		if err := os.Remove(filepath.Join(n.cfg.ManifestDir, "sleeper.yaml")); err != nil {
			b.Fatal(err)
		}
		for !processGone(s.PID) {
			time.Sleep(5 * time.Millisecond)
		}
		stop += time.Since(t1)
		for {
			if _, ok := n.status(b)["sleeper.yaml"]; !ok {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	b.ReportMetric(float64(start.Milliseconds())/float64(b.N), "ms-to-running")
	b.ReportMetric(float64(stop.Milliseconds())/float64(b.N), "ms-to-stopped")
}
