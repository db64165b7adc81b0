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

	err := runE(log.NoOp(), streams, &flagpole{Output: "yaml"})
	require.Equal(t, cli.ExitCannotRun, cli.ExitCode(err))
	require.EqualError(t, err, `unknown output "yaml": use text or json`)

	err = runE(log.NoOp(), streams, &flagpole{Output: "text", Lab: "nolab"})
	require.ErrorContains(t, err, `no lab called "nolab"`)

	_, err = labs.CreateDir(labs.Record{Name: "plain", Provider: "local"})
	require.NoError(t, err)
	err = runE(log.NoOp(), streams, &flagpole{Output: "json"})
	require.ErrorContains(t, advice.Error(err), `lab "plain" runs no scenario: start one with 'ckat start SCENARIO --lab plain'`)
	require.Empty(t, out.String())
}
