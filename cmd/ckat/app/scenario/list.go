package scenario

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/scenarios"
)

type listFlags struct {
	ScenarioDir string
}

// NewListCommand returns `ckat scenario list`.
func NewListCommand(streams cli.Streams) *cobra.Command {
	flags := &listFlags{}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the scenarios you can start",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return list(streams, flags)
		},
	}
	cmd.Flags().StringVar(&flags.ScenarioDir, "scenario-dir", "", "also list the scenario files (*.yaml) in this directory")
	return cmd
}

func list(streams cli.Streams, flags *listFlags) error {
	all, err := scenarios.List(flags.ScenarioDir)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(streams.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tTITLE\tSTAGES")
	for _, s := range all {
		fmt.Fprintf(w, "%s\t%s\t%d\n", s.Metadata.Name, s.Metadata.Title, len(s.Stages))
	}
	return w.Flush()
}
