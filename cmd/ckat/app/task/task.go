// Package task implements `ckat task`: print the lab's current task.
package task

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/cmd/ckat/app/advice"
	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/scenarios/session"
)

type flagpole struct {
	Lab    string
	Output *cli.Output
}

// NewCommand returns the task command.
func NewCommand(logger *log.Logger, streams cli.Streams) *cobra.Command {
	flags := &flagpole{}
	cmd := &cobra.Command{
		Use:   "task",
		Short: "Print the current task of a lab's scenario",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runE(cmd.Context(), logger, streams, flags)
		},
	}
	cmd.Flags().StringVar(&flags.Lab, "lab", "", "the lab (default: $CKAT_LAB, else the only lab)")
	flags.Output = cli.AddOutputFlag(cmd, "json")
	return cmd
}

func runE(ctx context.Context, logger *log.Logger, streams cli.Streams, flags *flagpole) error {
	s, err := session.OpenLab(ctx, flags.Lab, logger)
	if err != nil {
		return err
	}
	if flags.Output.String() == "json" {
		return s.WriteTaskJSON(streams.Out)
	}
	advice.WriteTask(streams.Out, s)
	return nil
}
