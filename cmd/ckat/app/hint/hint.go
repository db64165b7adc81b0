// Package hint implements `ckat hint`: the current stage's next hint.
package hint

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/classes"
	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/scenarios/session"
)

type flagpole struct {
	Lab string
}

// NewCommand returns the hint command.
func NewCommand(logger *log.Logger, streams cli.Streams) *cobra.Command {
	flags := &flagpole{}
	cmd := &cobra.Command{
		Use:   "hint",
		Short: "Show the next hint for the current stage (each call shows one more)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runE(cmd.Context(), logger, streams, flags)
		},
	}
	cmd.Flags().StringVar(&flags.Lab, "lab", "", "the lab (default: $CKAT_LAB, else the only lab)")
	return cmd
}

func runE(ctx context.Context, logger *log.Logger, streams cli.Streams, flags *flagpole) error {
	s, err := session.OpenLab(ctx, flags.Lab, logger)
	if err != nil {
		return err
	}
	text, n, total := s.NextHint()
	if total == 0 {
		fmt.Fprintln(streams.Out, "This stage has no hints; 'ckat grade' says what is still wrong.")
		return nil
	}
	if err := s.Save(); err != nil {
		return err
	}
	if err := classes.RecordHintForLab(s.Lab.Name(), s.State.Stage, n); err != nil {
		logger.Warnf("the hint is not recorded in the lab's class: %v", err)
	}
	fmt.Fprintf(streams.Out, "Hint %d of %d: %s\n", n, total, text)
	if n == total {
		fmt.Fprintln(streams.Out, "That was the last hint; 'ckat solution' shows a reference solution.")
	}
	return nil
}
