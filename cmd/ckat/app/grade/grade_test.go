package grade

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ckat/ckat/grader"
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

func TestUseColor(t *testing.T) {
	require.False(t, useColor(&bytes.Buffer{}), "not a terminal")
	f, err := os.CreateTemp(t.TempDir(), "out")
	require.NoError(t, err)
	defer f.Close()
	require.False(t, useColor(f), "a file is not a terminal")
	t.Setenv("NO_COLOR", "")
	require.False(t, useColor(os.Stdout), "NO_COLOR set, even empty")
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
