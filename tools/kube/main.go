// Command kube is the upstream Kubernetes control plane, built from
// k8s.io/kubernetes at the version pinned in go.mod, as one executable that
// runs as kube-apiserver, kube-controller-manager or kube-scheduler by the
// base name it is run under (argv[0]), as hyperkube did. The components
// share most of their code, so one binary shares the build and the
// memory of its text pages. ckat's Makefile writes bin/kube-apiserver and
// links the other two names to it; ckat's local labs run the three static
// pods from it.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	_ "time/tzdata" // for CronJob time zones

	"github.com/spf13/cobra"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
)

// component is one command this binary runs: its upstream cobra command
// (each as its own cmd/NAME/NAME.go main builds it) and its soft memory
// limit.
type component struct {
	command func() *cobra.Command
	// memoryLimit is the soft memory limit of the Go runtime when
	// GOMEMLIMIT is not set. Without a limit Go lets the heap grow to
	// twice the live heap between collections and stay there; the limit
	// makes the collector run earlier. It is soft: a heap that needs more
	// gets more, at the cost of more frequent collections.
	memoryLimit int64
}

// components are the commands by base name. A lab's API server keeps a
// live heap of about 80 MiB, its controller manager about 25 MiB and its
// scheduler about 15 MiB; each limit sits a little above the live heap.
var components = map[string]component{
	"kube-apiserver":          {apiserver.NewAPIServerCommand, 150 << 20},
	"kube-controller-manager": {controllermanager.NewControllerManagerCommand, 50 << 20},
	"kube-scheduler":          {func() *cobra.Command { return scheduler.NewSchedulerCommand() }, 40 << 20},
}

func main() {
	name := filepath.Base(os.Args[0])
	c, ok := components[name]
	if !ok {
		names := make([]string, 0, len(components))
		for n := range components {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "%s: run this executable as one of %s (a link of that name to it)\n", name, strings.Join(names, ", "))
		os.Exit(2)
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(c.memoryLimit)
	}
	os.Exit(cli.Run(c.command()))
}
