package task

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ckat/ckat/cmd/ckat/app/advice"
	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs"
)

func TestTaskErrors(t *testing.T) {
	t.Setenv("CKAT_HOME", t.TempDir())
	t.Setenv("CKAT_LAB", "")
	var out bytes.Buffer
	streams := cli.Streams{In: strings.NewReader(""), Out: &out, Err: &out}

	task := func(args ...string) error {
		cmd := NewCommand(log.NoOp(), streams)
		cmd.SetArgs(args)
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		return cmd.Execute()
	}
	err := task("-o", "yaml")
	require.Equal(t, cli.ExitCannotRun, cli.ExitCode(err))
	require.EqualError(t, err, `invalid argument "yaml" for "-o, --output" flag: want text or json`)

	err = task("--lab", "nolab")
	require.ErrorContains(t, err, `no lab called "nolab"`)

	_, err = labs.CreateDir(labs.Record{Name: "plain", Provider: "local"})
	require.NoError(t, err)
	err = task("-o", "json")
	require.ErrorContains(t, advice.Error(err), `lab "plain" runs no scenario: start one with 'ckat start SCENARIO --lab plain'`)
	require.Empty(t, out.String())
}
