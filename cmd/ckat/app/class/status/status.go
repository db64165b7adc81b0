// Package status implements `ckat class status CLASS`: where each learner
// and their lab stand.
package status

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/ckat/ckat/classes"
	"github.com/ckat/ckat/cmd/ckat/app/advice"
	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/labs"
)

type flagpole struct {
	Output *cli.Output
}

// NewCommand returns `ckat class status`.
func NewCommand(streams cli.Streams) *cobra.Command {
	flags := &flagpole{}
	cmd := &cobra.Command{
		Use:   "status CLASS",
		Short: "Show each learner's lab state, stage, score and last grade",
		Long: `Show a row per learner: their lab's state (running, frozen, stopped, dead or
missing), their stage, the score of their last grade and how long ago it
was, and the hints they used. A lab that is not running says how to
restart it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runE(cmd.Context(), streams, flags, args[0])
		},
	}
	flags.Output = cli.AddOutputFlag(cmd, "json")
	return cmd
}

func runE(ctx context.Context, streams cli.Streams, flags *flagpole, name string) error {
	_, c, err := advice.OpenClass(name)
	if err != nil {
		return cli.WithExitCode(cli.ExitCannotRun, err)
	}
	rows, err := c.Status(ctx)
	if err != nil {
		return cli.WithExitCode(cli.ExitCannotRun, err)
	}
	if flags.Output.String() == "json" {
		data, _ := json.MarshalIndent(rows, "", "  ")
		_, err := fmt.Fprintf(streams.Out, "%s\n", data)
		return err
	}
	return writeTable(streams.Out, c.Name, rows, time.Now())
}

// writeTable writes a row per learner, then a line per lab that does not
// run with the command that restarts it.
func writeTable(w io.Writer, class string, rows []classes.LearnerStatus, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LEARNER\tLAB\tSTATE\tSTAGE\tSCORE\tLAST GRADE\tHINTS")
	var down []classes.LearnerStatus
	for _, r := range rows {
		state := string(r.State)
		if r.Frozen {
			state = "frozen"
		}
		if r.State != labs.StateRunning {
			down = append(down, r)
		}
		stage := "-"
		if r.Stage != "" {
			stage = fmt.Sprintf("%s (%d/%d)", r.Stage, r.StageNumber, r.Stages)
		}
		score, age := "-", "never"
		if g := r.LastGrade; g != nil {
			score = fmt.Sprintf("%d/%d", g.Score, g.MaxScore)
			age = duration.HumanDuration(now.Sub(g.Time)) + " ago"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", r.Learner, r.Lab, state, stage, score, age, r.HintsUsed)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range down {
		msg := r.Message
		if msg == "" {
			msg = string(r.State)
		}
		if r.State == classes.StateMissing {
			fmt.Fprintf(w, "\n%s's lab %s: %s: remove the class with 'ckat class delete %s' and make it again", r.Learner, r.Lab, msg, class)
			continue
		}
		fmt.Fprintf(w, "\n%s's lab %s is %s: %s; restart it with '%s'", r.Learner, r.Lab, r.State, msg, advice.ClassRestart(class, r.Learner))
	}
	if len(down) > 0 {
		fmt.Fprintln(w)
	}
	return nil
}
