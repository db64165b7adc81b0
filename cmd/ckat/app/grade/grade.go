// Package grade implements `ckat grade`: check the learner's work on the
// current stage and report point by point.
package grade

import (
	"context"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ckat/ckat/classes"
	"github.com/ckat/ckat/grader"
	"github.com/ckat/ckat/grader/report"
	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/scenarios/session"
)

type flagpole struct {
	Lab    string
	Output *cli.Output
	Wait   time.Duration
	// isTerminal reports whether the text output goes to a terminal; nil is
	// the real check (tests stand in a terminal).
	isTerminal func(w io.Writer) bool
}

// NewCommand returns the grade command.
func NewCommand(logger *log.Logger, streams cli.Streams) *cobra.Command {
	flags := &flagpole{}
	cmd := &cobra.Command{
		Use:   "grade",
		Short: "Grade your work on the current stage, point by point",
		Long: `Grade your work on the current stage: every check with what it found.
Exit status: 0 for full marks, 1 for less, 2 when grading could not run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runE(cmd.Context(), logger, streams, flags)
		},
	}
	cmd.Flags().StringVar(&flags.Lab, "lab", "", "the lab (default: $CKAT_LAB, else the only lab)")
	flags.Output = cli.AddOutputFlag(cmd, "json", "junit")
	cmd.Flags().DurationVar(&flags.Wait, "wait", 0, "grade again until full marks or this long has passed (a restored cluster takes a while)")
	return cmd
}

func runE(ctx context.Context, logger *log.Logger, streams cli.Streams, flags *flagpole) error {
	s, err := session.OpenLab(ctx, flags.Lab, logger)
	if err != nil {
		return cli.WithExitCode(cli.ExitCannotRun, err)
	}
	rep, err := s.Grade(ctx, flags.Wait)
	if err != nil {
		return cli.WithExitCode(cli.ExitCannotRun, err)
	}
	if err := classes.RecordGradeForLab(s.Lab.Name(), s.State.Stage, rep); err != nil {
		logger.Warnf("the grade is not recorded in the lab's class: %v", err)
	}
	switch flags.Output.String() {
	case "json":
		err = report.JSON(streams.Out, rep)
	case "junit":
		err = report.JUnit(streams.Out, rep)
	default:
		err = report.Text(streams.Out, rep, useColor(streams.Out, flags.isTerminal))
	}
	if err != nil {
		return cli.WithExitCode(cli.ExitCannotRun, err)
	}
	if code := exitCode(rep); code != cli.ExitOK {
		return cli.WithExitCode(code, nil)
	}
	return nil
}

// exitCode is 0 for full marks, 2 when no check could look at all, else 1.
func exitCode(rep grader.Report) int {
	if rep.Passed && len(rep.Checks) > 0 {
		return cli.ExitOK
	}
	for _, c := range rep.Checks {
		if c.Status != grader.StatusError {
			return cli.ExitFailed
		}
	}
	return cli.ExitCannotRun
}

// useColor: only on a terminal, and never with NO_COLOR set. isTerminal
// nil is the real check.
func useColor(w io.Writer, isTerminal func(io.Writer) bool) bool {
	if _, set := os.LookupEnv("NO_COLOR"); set {
		return false
	}
	if isTerminal == nil {
		isTerminal = fileIsTerminal
	}
	return isTerminal(w)
}

// fileIsTerminal reports whether w is a file open on a terminal.
func fileIsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
