package grade

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ckat/ckat/grader"
	"github.com/ckat/ckat/grader/report"
	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
)

func TestExitCode(t *testing.T) {
	res := func(ss ...grader.Status) grader.Report {
		var rep grader.Report
		for _, s := range ss {
			r := grader.Result{Status: s, MaxPoints: 1}
			if s == grader.StatusPass {
				r.Points = 1
			}
			rep.Add(r)
		}
		return rep
	}
	for _, tc := range []struct {
		name string
		rep  grader.Report
		want int
	}{
		{"full marks", res(grader.StatusPass, grader.StatusPass), cli.ExitOK},
		{"less", res(grader.StatusPass, grader.StatusFail), cli.ExitFailed},
		{"some could not look", res(grader.StatusError, grader.StatusFail), cli.ExitFailed},
		{"nothing could look", res(grader.StatusError, grader.StatusError), cli.ExitCannotRun},
		{"no checks", grader.Report{}, cli.ExitCannotRun},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, exitCode(tc.rep))
		})
	}
}

// TestUseColor renders a report as grade does: in colour on a terminal,
// plain elsewhere and whenever NO_COLOR is set, even empty.
func TestUseColor(t *testing.T) {
	var rep grader.Report
	rep.Add(grader.Result{Name: "a check", Status: grader.StatusPass, Points: 1, MaxPoints: 1})
	terminal := func(io.Writer) bool { return true }
	render := func(w io.Writer, isTerminal func(io.Writer) bool) bool {
		var out bytes.Buffer
		require.NoError(t, report.Text(&out, rep, useColor(w, isTerminal)))
		require.Contains(t, out.String(), "a check")
		return strings.Contains(out.String(), "\x1b[")
	}
	t.Setenv("NO_COLOR", "")
	require.NoError(t, os.Unsetenv("NO_COLOR"))
	require.True(t, render(os.Stdout, terminal), "colour on a terminal")
	require.False(t, render(&bytes.Buffer{}, nil), "a buffer is not a terminal")
	f, err := os.CreateTemp(t.TempDir(), "out")
	require.NoError(t, err)
	defer f.Close()
	require.False(t, render(f, nil), "a file is not a terminal")
	for _, v := range []string{"", "1"} {
		t.Setenv("NO_COLOR", v)
		require.False(t, render(os.Stdout, terminal), "NO_COLOR=%q on a terminal", v)
	}
}

func TestBadOutputAndNoLab(t *testing.T) {
	t.Setenv("CKAT_HOME", t.TempDir())
	t.Setenv("CKAT_LAB", "")
	var out bytes.Buffer
	streams := cli.Streams{In: strings.NewReader(""), Out: &out, Err: &out}
	cmd := NewCommand(log.NoOp(), streams)
	cmd.SetArgs([]string{"-o", "yaml"})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.Execute()
	require.Equal(t, cli.ExitCannotRun, cli.ExitCode(err))
	require.EqualError(t, err, `invalid argument "yaml" for "-o, --output" flag: want text, json or junit`)

	cmd = NewCommand(log.NoOp(), streams)
	cmd.SetArgs(nil)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err = cmd.Execute()
	require.Equal(t, cli.ExitCannotRun, cli.ExitCode(err))
	require.ErrorContains(t, err, "there are no labs yet")
}
