// Package restart implements `ckat class restart CLASS LEARNER`: start a
// learner's stopped or dead lab again.
package restart

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/cmd/ckat/app/advice"
	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs/providers"
)

// NewCommand returns `ckat class restart`.
func NewCommand(logger *log.Logger, streams cli.Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "restart CLASS LEARNER",
		Short: "Start a learner's stopped or dead lab again, with its data",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runE(cmd.Context(), logger, streams, args[0], args[1])
		},
	}
}

func runE(ctx context.Context, logger *log.Logger, streams cli.Streams, class, learner string) error {
	_, c, err := advice.OpenClass(class)
	if err != nil {
		return cli.WithExitCode(cli.ExitCannotRun, err)
	}
	l, err := c.Learner(learner)
	if err != nil {
		return cli.WithExitCode(cli.ExitCannotRun, err)
	}
	started, err := c.Restart(ctx, learner, providers.WithLogger(logger))
	if err != nil {
		return err
	}
	if started {
		fmt.Fprintf(streams.Out, "Lab %s of learner %s runs again, with its data.\n", l.Lab, learner)
	} else {
		fmt.Fprintf(streams.Out, "Lab %s of learner %s was running already.\n", l.Lab, learner)
	}
	return nil
}
