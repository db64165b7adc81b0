// Package logs implements `ckat logs POD`: a static pod's container log
// from a lab's node, as `kubectl logs` prints it, also when the API
// server is down.
package logs

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/crilog"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs/providers"
)

type flagpole struct {
	Lab       string
	Container string
	Previous  bool
	Tail      int
}

// NewCommand returns the `ckat logs` command.
func NewCommand(logger *log.Logger, streams cli.Streams) *cobra.Command {
	flags := &flagpole{}
	cmd := &cobra.Command{
		Use:   "logs [--lab NAME] [-p] POD",
		Short: "Print a static pod's container log from the lab's node",
		Long: `Print the log of a static pod's container, read from the node's
/var/log/pods like the kubelet's logs, so it works while the API server is
down. -p prints the run before the current one (why did it crash?).

  ckat logs etcd-controlplane
  ckat logs -p kube-apiserver-controlplane`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cli.WithExitCode(cli.ExitCannotRun, errors.New("say which pod, e.g. ckat logs etcd-controlplane"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return Logs(cmd.Context(), streams, flags.Lab, crilog.Options{
				Pod: args[0], Container: flags.Container, Previous: flags.Previous, Tail: flags.Tail,
			})
		},
	}
	cmd.Flags().StringVar(&flags.Lab, "lab", "", "the lab (default: $CKAT_LAB, or the only lab)")
	cmd.Flags().BoolVarP(&flags.Previous, "previous", "p", false, "print the previous run's log")
	cmd.Flags().StringVarP(&flags.Container, "container", "c", "", "the container, when the pod has several")
	cmd.Flags().IntVar(&flags.Tail, "tail", -1, "print only the last N lines")
	return cmd
}

// Logs prints a container log of the lab called name.
func Logs(ctx context.Context, streams cli.Streams, name string, opts crilog.Options) error {
	lab, err := providers.Open(ctx, name)
	if err != nil {
		return err
	}
	return crilog.ReadLogs(ctx, lab.Node(), opts, streams.Out)
}
