// Package reset implements `ckat reset`: start a lab's scenario over on
// the same lab.
package reset

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/cmd/ckat/app/advice"
	"github.com/ckat/ckat/cmd/ckat/app/lab"
	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/scenarios/session"
)

type flagpole struct {
	Lab string
}

// NewCommand returns the reset command.
func NewCommand(logger *log.Logger, streams cli.Streams) *cobra.Command {
	flags := &flagpole{}
	cmd := &cobra.Command{
		Use:   "reset",
		Short: "Start the scenario over on the same lab",
		Long: `Start the scenario over on the same lab, with the same names and paths:
the control plane is stopped, the paths the task asks you to create are
removed, /var/lib/etcd, the files the scenario's setup wrote and the manifests
in /etc/kubernetes/manifests are put back as they were right after the
scenario was set up, and the control plane starts again. Other files you made
on the node stay.`,
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
	if err := lab.EnsureRunning(ctx, s.Lab, logger); err != nil {
		return err
	}
	if err := s.Reset(ctx); err != nil {
		return fmt.Errorf("resetting lab %q: %w", s.Lab.Name(), err)
	}
	fmt.Fprintf(streams.Out, "Lab %q is back at the start of %s.\n\n", s.Lab.Name(), s.Source.Metadata.Name)
	advice.WriteTask(streams.Out, s)
	return nil
}
