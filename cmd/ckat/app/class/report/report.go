// Package report implements `ckat class report CLASS`: per learner and
// check, the verdict, points and evidence, time to first full marks and
// hints used.
package report

import (
	"github.com/spf13/cobra"

	"github.com/ckat/ckat/classes"
	"github.com/ckat/ckat/cmd/ckat/app/advice"
	"github.com/ckat/ckat/internal/cli"
)

type flagpole struct {
	Output *cli.Output
}

// NewCommand returns `ckat class report`.
func NewCommand(streams cli.Streams) *cobra.Command {
	flags := &flagpole{}
	cmd := &cobra.Command{
		Use:   "report CLASS",
		Short: "Write the class's report: text, JSON, CSV, JUnit XML or an HTML page",
		Long: `Write, per learner and check, the latest verdict, points and evidence (a
Secret's values are never shown), the time from the lab's setup to first
full marks, and the hints used. It reads what the class recorded of every
grade; it does not grade again.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return runE(streams, flags, args[0])
		},
	}
	flags.Output = cli.AddOutputFlag(cmd, classes.ReportFormats[1:]...)
	return cmd
}

func runE(streams cli.Streams, flags *flagpole, name string) error {
	_, c, err := advice.OpenClass(name)
	if err != nil {
		return cli.WithExitCode(cli.ExitCannotRun, err)
	}
	rep, err := c.BuildReport()
	if err != nil {
		return cli.WithExitCode(cli.ExitCannotRun, err)
	}
	return classes.WriteReport(streams.Out, rep, flags.Output.String())
}
