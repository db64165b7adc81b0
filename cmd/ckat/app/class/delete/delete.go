// Package delete implements `ckat class delete CLASS`: delete the class's
// labs and its directory, and nothing else.
package delete

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/cmd/ckat/app/advice"
	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs/providers"
)

// NewCommand returns `ckat class delete`.
func NewCommand(logger *log.Logger, streams cli.Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "delete CLASS",
		Short: "Delete a class: its learners' labs, grades, hints and tokens",
		Long: `Delete every learner's lab, then the class's directory with its grades,
hints and tokens; the links stop working. Write the report first if you want
to keep it ('ckat class report CLASS -o html > CLASS.html').`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runE(cmd.Context(), logger, streams, args[0])
		},
	}
}

func runE(ctx context.Context, logger *log.Logger, streams cli.Streams, name string) error {
	store, c, err := advice.OpenClass(name)
	if err != nil {
		return cli.WithExitCode(cli.ExitCannotRun, err)
	}
	deleted, err := c.DeleteLabs(ctx, providers.WithLogger(logger))
	if err != nil {
		// Keep the class, so that delete can run again for the rest.
		return fmt.Errorf("%w; class %s is kept: run 'ckat class delete %s' again", err, name, name)
	}
	if err := store.Delete(name); err != nil {
		return err
	}
	fmt.Fprintf(streams.Out, "Deleted class %s and its %d labs.\n", name, len(deleted))
	return nil
}
