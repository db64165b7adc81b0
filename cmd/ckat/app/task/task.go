// Package task implements `ckat task`: print the lab's current task.
package task

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/scenarios/session"
)

type flagpole struct {
	Lab    string
	Output string
}

// NewCommand returns the task command.
func NewCommand(logger *log.Logger, streams cli.Streams) *cobra.Command {
	flags := &flagpole{}
	cmd := &cobra.Command{
		Use:   "task",
		Short: "Print the current task of a lab's scenario",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return runE(logger, streams, flags)
		},
	}
	cmd.Flags().StringVar(&flags.Lab, "lab", "", "the lab (default: $CKAT_LAB, else the only lab)")
	cmd.Flags().StringVarP(&flags.Output, "output", "o", "text", "text, or json with the task's parameters")
	return cmd
}

func runE(logger *log.Logger, streams cli.Streams, flags *flagpole) error {
	if flags.Output != "text" && flags.Output != "json" {
		return cli.WithExitCode(cli.ExitCannotRun, fmt.Errorf("unknown output %q: use text or json", flags.Output))
	}
	s, err := session.OpenLab(context.Background(), flags.Lab, logger)
	if err != nil {
		return err
	}
	if flags.Output == "json" {
		return s.WriteTaskJSON(streams.Out)
	}
	s.WriteTask(streams.Out)
	return nil
}
