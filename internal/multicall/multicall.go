// Package multicall runs the upstream etcd, Kubernetes and cri-tools command
// trees when ckat is invoked under their names.
package multicall

import (
	"os"

	"github.com/spf13/cobra"
	"go.etcd.io/etcd/etcdctl/v3/ctlv3"
	"go.etcd.io/etcd/server/v3/etcdmain"
	_ "k8s.io/client-go/plugin/pkg/client/auth" // kubectl's auth plugins
	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"

	// Before kubectl's command packages: the catalogue only for kubectl.
	_ "github.com/ckat/ckat/internal/multicall/kubectli18n"
)

// Tools are the names ckat answers to besides its own.
var Tools = []string{"etcd", "etcdctl", "etcdutl", "kubectl", "crictl"}

// Run runs the tool called name with os.Args and returns true if name is
// one of Tools; the tool exits the process itself. It returns false for
// any other name.
func Run(name string) bool {
	switch name {
	case "etcd":
		etcdmain.Main(os.Args)
	case "etcdctl":
		ctlv3.MustStart()
	case "etcdutl":
		runEtcdutl()
	case "crictl":
		runCrictl()
	case "kubectl":
		logs.GlogSetter(cmd.GetLogVerbosity(os.Args)) //nolint:errcheck // as kubectl's main
		if err := cli.RunNoErrOutput(cmd.NewDefaultKubectlCommand()); err != nil {
			util.CheckErr(err)
		}
	default:
		// etcdctl's package init turns on cobra's prefix matching for the
		// whole process; ckat's own commands are matched exactly.
		cobra.EnablePrefixMatching = false
		return false
	}
	os.Exit(0)
	return true
}
