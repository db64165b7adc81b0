// Package next implements `ckat next`: move a lab's scenario to its next
// stage, applying what happens in between (an incident, say).
package next

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/cmd/ckat/app/advice"
	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/scenarios/session"
)

type flagpole struct {
	Lab string
}

// opener opens the session of the lab a command names (session.OpenLab).
type opener func(ctx context.Context, lab string, logger *log.Logger) (*session.Session, error)

// NewCommand returns the next command.
func NewCommand(logger *log.Logger, streams cli.Streams) *cobra.Command {
	return newCommand(logger, streams, session.OpenLab)
}

func newCommand(logger *log.Logger, streams cli.Streams, open opener) *cobra.Command {
	flags := &flagpole{}
	cmd := &cobra.Command{
		Use:   "next",
		Short: "Go on to the scenario's next stage",
		Long: `Go on to the scenario's next stage: apply the steps that lead to it (an
incident, say) and print its task. Ctrl-C stops the steps; the lab then stays
at its stage and 'ckat next' runs them again.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runE(cmd.Context(), logger, streams, flags, open)
		},
	}
	cmd.Flags().StringVar(&flags.Lab, "lab", "", "the lab (default: $CKAT_LAB, else the only lab)")
	return cmd
}

func runE(ctx context.Context, logger *log.Logger, streams cli.Streams, flags *flagpole, open opener) error {
	s, err := open(ctx, flags.Lab, logger)
	if err != nil {
		return err
	}
	stage := s.State.Stage
	if err := s.Next(ctx); err != nil {
		if errors.Is(err, session.ErrLastStage) {
			return fmt.Errorf("stage %q is the last stage of %s: grade it with 'ckat grade'", stage, s.Source.Metadata.Name)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("lab %q stays at stage %q; 'ckat next' runs the steps to the next stage again: %w", s.Lab.Name(), stage, ctx.Err())
		}
		return err
	}
	advice.WriteTask(streams.Out, s)
	return nil
}
