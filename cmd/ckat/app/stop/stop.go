// Package stop implements `ckat stop`: stop a lab, keeping its data.
package stop

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/labs/providers"
	"github.com/ckat/ckat/scenarios"
)

type flagpole struct {
	Lab string
}

// NewCommand returns the `ckat stop` command.
func NewCommand(logger *log.Logger, streams cli.Streams) *cobra.Command {
	flags := &flagpole{}
	cmd := &cobra.Command{
		Use:   "stop",
		Short: "Stop a lab, keeping its data ('ckat start SCENARIO' starts it again)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rec, err := Stop(cmd.Context(), logger, flags.Lab)
			if err != nil {
				return err
			}
			logger.V(0).Infof("Lab %q is stopped; %s starts it again", rec.Name, startAgain(rec.Name))
			return nil
		},
	}
	cmd.Flags().StringVar(&flags.Lab, "lab", "", "the lab (default: $CKAT_LAB, or the only lab)")
	return cmd
}

// Stop stops the lab called name (resolved as labs.Resolve does) and
// returns its record.
func Stop(ctx context.Context, logger *log.Logger, name string) (labs.Record, error) {
	rec, err := labs.Resolve(name)
	if err != nil {
		return rec, err
	}
	p, err := providers.ForRecord(rec, providers.WithLogger(logger))
	if err != nil {
		return rec, err
	}
	return rec, p.Stop(ctx, rec.Name)
}

// startAgain is the command that starts the stopped lab called name again:
// `ckat start SCENARIO` for the lab of a scenario, else `ckat lab start`.
func startAgain(name string) string {
	st, _, err := scenarios.LoadState(name)
	switch {
	case err != nil:
		return fmt.Sprintf("'ckat lab start %s'", name)
	case st.Scenario == name:
		return fmt.Sprintf("'ckat start %s'", st.Scenario)
	}
	return fmt.Sprintf("'ckat start %s --lab %s'", st.Scenario, name)
}
