// Package class implements the `ckat class` command group: an instructor's
// workshop, one lab per learner (see package classes).
package class

import (
	"github.com/spf13/cobra"

	"github.com/ckat/ckat/cmd/ckat/app/class/create"
	"github.com/ckat/ckat/cmd/ckat/app/class/delete"
	"github.com/ckat/ckat/cmd/ckat/app/class/list"
	"github.com/ckat/ckat/cmd/ckat/app/class/report"
	"github.com/ckat/ckat/cmd/ckat/app/class/restart"
	"github.com/ckat/ckat/cmd/ckat/app/class/status"
	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
)

// NewCommand returns the `ckat class` command group.
func NewCommand(logger *log.Logger, streams cli.Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "class",
		Short: "Run a workshop: one lab per learner, their links, a live status and a report",
		Long: `A class is a scenario and a list of learners, each with their own lab and a
link to it. 'ckat class create' makes the labs and prints the links;
'ckat serve' serves them; 'ckat class status' and 'ckat class report' say
where everyone stands.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(
		create.NewCommand(logger, streams),
		list.NewCommand(streams),
		status.NewCommand(streams),
		report.NewCommand(streams),
		restart.NewCommand(logger, streams),
		delete.NewCommand(logger, streams),
	)
	return cmd
}
