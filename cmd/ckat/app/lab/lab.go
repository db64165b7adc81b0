// Package lab implements `ckat lab create|start|stop|delete NAME` and
// `ckat lab list`: labs by name, with or without a scenario. The learner's
// own verbs (`ckat start SCENARIO`, `ckat stop`, `ckat delete`) act on the
// lab of a scenario and share this package's helpers.
package lab

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs"
)

// NewCommand returns the `ckat lab` command group.
func NewCommand(logger *log.Logger, streams cli.Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Create, start, stop, delete and list labs by name",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(
		newCreateCommand(logger, streams),
		newStartCommand(logger),
		newStopCommand(logger),
		newDeleteCommand(logger),
		NewListCommand(streams),
	)
	return cmd
}

// nameArg accepts exactly one argument, a valid lab name; anything else is
// a usage error.
func nameArg(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return cli.WithExitCode(cli.ExitCannotRun, fmt.Errorf("'%s' takes one argument, the lab's name, got %d (see '%s --help')", cmd.CommandPath(), len(args), cmd.CommandPath()))
	}
	if err := labs.ValidateName(args[0]); err != nil {
		return cli.WithExitCode(cli.ExitCannotRun, err)
	}
	return nil
}
