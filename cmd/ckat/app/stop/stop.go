// Package stop implements `ckat stop`: stop a lab, keeping its data.
package stop

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/labs/providers"
)

type flagpole struct {
	Lab string
}

// NewCommand returns the `ckat stop` command.
func NewCommand(logger *log.Logger, streams cli.Streams) *cobra.Command {
	flags := &flagpole{}
	cmd := &cobra.Command{
		Use:   "stop",
		Short: "Stop a lab, keeping its data ('ckat lab start' starts it again)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return Stop(cmd.Context(), logger, flags.Lab)
		},
	}
	cmd.Flags().StringVar(&flags.Lab, "lab", "", "the lab (default: $CKAT_LAB, or the only lab)")
	return cmd
}

// Stop stops the lab called name (resolved as labs.Resolve does).
func Stop(ctx context.Context, logger *log.Logger, name string) error {
	rec, err := labs.Resolve(name)
	if err != nil {
		return err
	}
	p, err := providers.ForRecord(rec, providers.WithLogger(logger))
	if err != nil {
		return err
	}
	if err := p.Stop(ctx, rec.Name); err != nil {
		return err
	}
	logger.V(0).Infof("Lab %q is stopped; 'ckat lab start %s' starts it again", rec.Name, rec.Name)
	return nil
}
