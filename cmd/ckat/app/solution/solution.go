// Package solution implements `ckat solution`: a reference solution for
// the current stage.
package solution

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/scenarios/session"
)

type flagpole struct {
	Lab string
}

// NewCommand returns the solution command.
func NewCommand(logger *log.Logger, streams cli.Streams) *cobra.Command {
	flags := &flagpole{}
	cmd := &cobra.Command{
		Use:   "solution",
		Short: "Print a reference solution for the current stage, as a shell script",
		Long: `Print a reference solution for the current stage: a shell script that uses only
the exam's tools. Run it on the node with
  ckat solution > /tmp/solution.sh && ckat exec -- bash -c "$(cat /tmp/solution.sh)"`,
		Args: cobra.NoArgs,
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
	st := s.Stage()
	fmt.Fprintf(streams.Err, "# Reference solution for stage %q of %s (one way among others).\n", st.Name, s.Source.Metadata.Name)
	fmt.Fprint(streams.Out, st.Solution)
	return nil
}
