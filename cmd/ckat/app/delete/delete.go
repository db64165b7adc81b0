// Package delete implements `ckat delete`: delete a lab or all labs, and
// everything they made.
package delete

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/labs/providers"
)

type flagpole struct {
	Lab string
	All bool
}

// NewCommand returns the `ckat delete` command.
func NewCommand(logger *log.Logger, streams cli.Streams) *cobra.Command {
	flags := &flagpole{}
	cmd := &cobra.Command{
		Use:   "delete",
		Short: "Delete a lab (or --all labs) and everything in it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if flags.All && flags.Lab != "" {
				return cli.WithExitCode(cli.ExitCannotRun, errors.New("use either --lab NAME or --all, not both"))
			}
			if flags.All {
				return deleteAll(cmd.Context(), logger)
			}
			return Delete(cmd.Context(), logger, flags.Lab)
		},
	}
	cmd.Flags().StringVar(&flags.Lab, "lab", "", "the lab (default: $CKAT_LAB, or the only lab)")
	cmd.Flags().BoolVar(&flags.All, "all", false, "delete every lab")
	return cmd
}

// Delete deletes the lab called name (resolved as labs.Resolve does). A
// directory in the labs directory that ckat did not create is refused.
func Delete(ctx context.Context, logger *log.Logger, name string) error {
	rec, err := labs.Resolve(name)
	if errors.Is(err, labs.ErrNotFound) && name != "" {
		if dir, derr := labs.Dir(name); derr == nil {
			if _, serr := os.Lstat(dir); serr == nil {
				return fmt.Errorf("refusing to delete %s: it has no lab.json, so ckat did not create it", dir)
			}
		}
	}
	if err != nil {
		return err
	}
	return deleteLab(ctx, logger, rec)
}

// deleteAll deletes every lab, going on past failures; it fails if any
// lab could not be deleted.
func deleteAll(ctx context.Context, logger *log.Logger) error {
	records, err := labs.List()
	if err != nil {
		return err
	}
	var failed []string
	for _, rec := range records {
		if err := deleteLab(ctx, logger, rec); err != nil {
			logger.Errorf("%v", err)
			failed = append(failed, rec.Name)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("could not delete %d of %d labs: %v", len(failed), len(records), failed)
	}
	return nil
}

func deleteLab(ctx context.Context, logger *log.Logger, rec labs.Record) error {
	p, err := providers.ForRecord(rec, providers.WithLogger(logger))
	if err != nil {
		return err
	}
	return p.Delete(ctx, rec.Name)
}
