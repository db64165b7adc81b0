// Package ssh implements `ckat ssh`: an interactive login shell on a lab's
// node.
package ssh

import (
	"context"
	"errors"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/labs/providers"
)

// loginShell runs bash as a login shell where the node has it, else sh.
const loginShell = `if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi`

type flagpole struct {
	Lab string
}

// NewCommand returns the `ckat ssh` command.
func NewCommand(logger *log.Logger, streams cli.Streams) *cobra.Command {
	flags := &flagpole{}
	cmd := &cobra.Command{
		Use:   "ssh",
		Short: "Open a root shell on a lab's node",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return shell(cmd.Context(), streams, flags.Lab)
		},
	}
	cmd.Flags().StringVar(&flags.Lab, "lab", "", "the lab (default: $CKAT_LAB, or the only lab)")
	return cmd
}

func shell(ctx context.Context, streams cli.Streams, name string) error {
	lab, err := providers.Open(ctx, name)
	if err != nil {
		return err
	}
	tty := isTerminal(streams.In)
	if tty {
		// The shell owns the terminal: Ctrl-C there is the shell's (it
		// stops what runs in it), not a reason to end the session.
		ctx = context.WithoutCancel(ctx)
	}
	err = lab.Node().Exec(ctx, labs.Command{
		Args:   []string{"/bin/sh", "-c", loginShell},
		Stdin:  streams.In,
		Stdout: streams.Out,
		Stderr: streams.Err,
		TTY:    tty,
	})
	var ee *labs.ExitError
	if errors.As(err, &ee) {
		return cli.WithExitCode(ee.Code, nil)
	}
	return err
}

func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
