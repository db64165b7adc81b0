// Package scenarios implements `ckat scenarios`: the scenarios ckat can
// start.
package scenarios

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/scenarios"
)

type flagpole struct {
	ScenarioDir string
}

// NewCommand returns the scenarios command.
func NewCommand(streams cli.Streams) *cobra.Command {
	flags := &flagpole{}
	cmd := &cobra.Command{
		Use:   "scenarios",
		Short: "List the scenarios you can start",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return runE(streams, flags)
		},
	}
	cmd.Flags().StringVar(&flags.ScenarioDir, "scenario-dir", "", "also list the scenario files (*.yaml) in this directory")
	return cmd
}

func runE(streams cli.Streams, flags *flagpole) error {
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
