// Package exec implements `ckat exec -- CMD...`: run a command on a lab's
// node, passing its output and exit status through.
package exec

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/labs/providers"
)

type flagpole struct {
	Lab string
}

// NewCommand returns the `ckat exec` command.
func NewCommand(logger *log.Logger, streams cli.Streams) *cobra.Command {
	flags := &flagpole{}
	cmd := &cobra.Command{
		Use:   "exec [--lab NAME] -- CMD [ARG...]",
		Short: "Run a command on a lab's node as root",
		Long: `Run a command on a lab's node as root, with the node's PATH and KUBECONFIG.
Its output and exit status are passed through.

  ckat exec -- etcdctl member list -w table`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cli.WithExitCode(cli.ExitCannotRun, errors.New("say which command to run: ckat exec -- CMD [ARG...]"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return Exec(cmd.Context(), streams, flags.Lab, args)
		},
	}
	// Everything after the command's name belongs to it.
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().StringVar(&flags.Lab, "lab", "", "the lab (default: $CKAT_LAB, or the only lab)")
	return cmd
}

// Exec runs args on the node of the lab called name. A command that ran
// and failed makes ckat exit with its status, silently.
func Exec(ctx context.Context, streams cli.Streams, name string, args []string) error {
	lab, err := providers.Open(ctx, name)
	if err != nil {
		return err
	}
	return passExit(lab.Node().Exec(ctx, labs.Command{
		Args:   args,
		Stdin:  streams.In,
		Stdout: streams.Out,
		Stderr: streams.Err,
	}))
}

// passExit turns a node command's exit status into ckat's own.
func passExit(err error) error {
	var ee *labs.ExitError
	if errors.As(err, &ee) {
		return cli.WithExitCode(ee.Code, nil)
	}
	return err
}
