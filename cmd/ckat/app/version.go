package app

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/internal/cli"
)

// Version is set at build time with -ldflags "-X ...app.Version=v1.2.3".
var Version = "dev"

func newVersionCommand(streams cli.Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print ckat's version and the versions of the tools it carries",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(streams.Out, "ckat %s\n", Version)
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, dep := range bi.Deps {
					switch dep.Path {
					case "go.etcd.io/etcd/server/v3", "go.etcd.io/etcd/etcdctl/v3", "go.etcd.io/etcd/etcdutl/v3", "k8s.io/kubectl", "k8s.io/client-go", "sigs.k8s.io/cri-tools", "sigs.k8s.io/kind":
						fmt.Fprintf(streams.Out, "  %-28s %s\n", dep.Path, dep.Version)
					}
				}
			}
			return nil
		},
	}
}
