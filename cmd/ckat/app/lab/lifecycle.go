package lab

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/cmd/ckat/app/delete"
	"github.com/ckat/ckat/cmd/ckat/app/stop"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/labs/providers"
)

func newStartCommand(logger *log.Logger) *cobra.Command {
	return &cobra.Command{
		Use:   "start NAME",
		Short: "Start a stopped (or dead) lab again with its data",
		Args:  nameArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return startLab(cmd.Context(), logger, args[0])
		},
	}
}

func startLab(ctx context.Context, logger *log.Logger, name string) error {
	rec, err := labs.ReadRecord(name)
	if err != nil {
		return err
	}
	p, err := providers.ForRecord(rec, providers.WithLogger(logger))
	if err != nil {
		return err
	}
	return p.Start(ctx, name)
}

func newStopCommand(logger *log.Logger) *cobra.Command {
	return &cobra.Command{
		Use:   "stop NAME",
		Short: "Stop a lab, keeping its data",
		Args:  nameArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return stop.Stop(cmd.Context(), logger, args[0])
		},
	}
}

func newDeleteCommand(logger *log.Logger) *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a lab and everything in it",
		Args:  nameArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return delete.Delete(cmd.Context(), logger, args[0])
		},
	}
}
