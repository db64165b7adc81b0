// Command kube-apiserver is the upstream Kubernetes API server, built from
// k8s.io/kubernetes at the version pinned in go.mod. ckat's local labs run it
// as the kube-apiserver static pod.
package main

import (
	"os"
	"runtime/debug"
	_ "time/tzdata" // for CronJob time zones

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

// labMemoryLimit is the soft memory limit of the Go runtime when
// GOMEMLIMIT is not set. A lab's API server keeps a live heap of about
// 80 MiB; with Go's default of no limit its heap grows to twice that
// between collections and stays there. The limit makes the collector run
// before the heap passes 150 MiB, which keeps a whole lab under 400 MB.
// It is soft: a heap that needs more gets more, at the cost of more
// frequent collections. GOMEMLIMIT in the environment wins.
const labMemoryLimit = 150 << 20

func main() {
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(labMemoryLimit)
	}
	os.Exit(cli.Run(app.NewAPIServerCommand()))
}
