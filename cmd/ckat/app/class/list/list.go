// Package list implements `ckat class list`.
package list

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/ckat/ckat/classes"
	"github.com/ckat/ckat/internal/cli"
)

type flagpole struct {
	Output *cli.Output
}

// NewCommand returns `ckat class list`.
func NewCommand(streams cli.Streams) *cobra.Command {
	flags := &flagpole{}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the classes: scenario, learners, age",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return runE(streams, flags)
		},
	}
	flags.Output = cli.AddOutputFlag(cmd, "json")
	return cmd
}

// entry is a class as the list shows it.
type entry struct {
	Name     string    `json:"name"`
	Scenario string    `json:"scenario"`
	Learners int       `json:"learners"`
	Created  time.Time `json:"created"`
}

func runE(streams cli.Streams, flags *flagpole) error {
	store, err := classes.DefaultStore()
	if err != nil {
		return cli.WithExitCode(cli.ExitCannotRun, err)
	}
	all, err := store.List()
	if err != nil {
		return cli.WithExitCode(cli.ExitCannotRun, err)
	}
	entries := make([]entry, 0, len(all))
	for _, c := range all {
		entries = append(entries, entry{Name: c.Name, Scenario: c.Scenario, Learners: len(c.Learners), Created: c.Created})
	}
	if flags.Output.String() == "json" {
		data, _ := json.MarshalIndent(entries, "", "  ")
		_, err := fmt.Fprintf(streams.Out, "%s\n", data)
		return err
	}
	if len(entries) == 0 {
		fmt.Fprintln(streams.Err, "No classes. Make one with 'ckat class create CLASS --scenario S --learners N'.")
		return nil
	}
	tw := tabwriter.NewWriter(streams.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLASS\tSCENARIO\tLEARNERS\tAGE")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", e.Name, e.Scenario, e.Learners, duration.HumanDuration(time.Since(e.Created)))
	}
	return tw.Flush()
}
