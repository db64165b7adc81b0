// Package kubeconfig implements `ckat kubeconfig`: print a lab's admin
// kubeconfig for tools on the host.
package kubeconfig

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs/providers"
)

type flagpole struct {
	Lab string
}

// NewCommand returns the `ckat kubeconfig` command.
func NewCommand(logger *log.Logger, streams cli.Streams) *cobra.Command {
	flags := &flagpole{}
	cmd := &cobra.Command{
		Use:   "kubeconfig",
		Short: "Print a lab's admin kubeconfig for kubectl and other tools on this machine",
		Long: `Print a lab's admin kubeconfig for kubectl and other tools on this machine.

  ckat kubeconfig > lab.conf && kubectl --kubeconfig lab.conf get pods -A`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return printKubeconfig(cmd.Context(), streams, flags.Lab)
		},
	}
	cmd.Flags().StringVar(&flags.Lab, "lab", "", "the lab (default: $CKAT_LAB, or the only lab)")
	return cmd
}

func printKubeconfig(ctx context.Context, streams cli.Streams, name string) error {
	lab, err := providers.Open(ctx, name)
	if err != nil {
		return err
	}
	data, err := lab.Kubeconfig(ctx)
	if err != nil {
		return err
	}
	_, err = streams.Out.Write(data)
	return err
}
