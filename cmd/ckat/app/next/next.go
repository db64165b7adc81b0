// Package next implements `ckat next`: move a lab's scenario to its next
// stage, applying what happens in between (an incident, say).
package next

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/scenarios/session"
)

type flagpole struct {
	Lab string
}

// NewCommand returns the next command.
func NewCommand(logger *log.Logger, streams cli.Streams) *cobra.Command {
	flags := &flagpole{}
	cmd := &cobra.Command{
		Use:   "next",
		Short: "Go on to the scenario's next stage",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return runE(logger, streams, flags)
		},
	}
	cmd.Flags().StringVar(&flags.Lab, "lab", "", "the lab (default: $CKAT_LAB, else the only lab)")
	return cmd
}

func runE(logger *log.Logger, streams cli.Streams, flags *flagpole) error {
	ctx := context.Background()
	s, err := session.OpenLab(ctx, flags.Lab, logger)
	if err != nil {
		return err
	}
	if err := s.Next(ctx); err != nil {
		if errors.Is(err, session.ErrLastStage) {
			return fmt.Errorf("stage %q is the last stage of %s: grade it with 'ckat grade'", s.State.Stage, s.Source.Metadata.Name)
		}
		return err
	}
	s.WriteTask(streams.Out)
	return nil
}
