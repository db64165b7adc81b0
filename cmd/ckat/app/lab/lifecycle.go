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

// EnsureRunning starts lab again when it is stopped or dead, and does
// nothing when it runs.
func EnsureRunning(ctx context.Context, lab labs.Lab, logger *log.Logger) error {
	st, err := lab.Status(ctx)
	if err != nil {
		return err
	}
	if st.State == labs.StateRunning {
		return nil
	}
	p, err := providers.Get(lab.Provider(), providers.WithLogger(logger))
	if err != nil {
		return err
	}
	logger.V(0).Infof("Lab %q is %s; starting it ...", lab.Name(), st.State)
	return p.Start(ctx, lab.Name())
}

func newStopCommand(logger *log.Logger) *cobra.Command {
	return &cobra.Command{
		Use:   "stop NAME",
		Short: "Stop a lab, keeping its data ('ckat lab start NAME' starts it again)",
		Args:  nameArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			rec, err := stop.Stop(cmd.Context(), logger, args[0])
			if err != nil {
				return err
			}
			logger.V(0).Infof("Lab %q is stopped; 'ckat lab start %s' starts it again", rec.Name, rec.Name)
			return nil
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
