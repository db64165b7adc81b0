package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ckat/ckat/internal/cli"
)

func TestExitStatus(t *testing.T) {
	live := context.Background()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	stopped := fmt.Errorf(`lab "exam" stays at stage "backup": %w`, context.Canceled)
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		err    error
		code   int
		stderr string
	}{
		{"success", live, nil, cli.ExitOK, ""},
		{"error", live, errors.New("lab not found"), cli.ExitFailed, "ckat: lab not found\n"},
		{"exit code said", live, cli.WithExitCode(cli.ExitFailed, nil), cli.ExitFailed, ""},
		{"usage", live, cli.WithExitCode(cli.ExitCannotRun, errors.New("bad flag")), cli.ExitCannotRun, "ckat: bad flag\n"},
		{"interrupted", done, stopped, cli.ExitInterrupted, `ckat: interrupted: lab "exam" stays at stage "backup"` + "\n"},
		{"interrupted, plain", done, context.Canceled, cli.ExitInterrupted, "ckat: interrupted: context canceled\n"},
		{"failed after Ctrl-C for another reason", done, errors.New("disk full"), cli.ExitFailed, "ckat: disk full\n"},
		{"a cancelled request of its own", live, stopped, cli.ExitFailed, "ckat: " + stopped.Error() + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var errOut bytes.Buffer
			code := exitStatus(tc.ctx, cli.Streams{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &errOut}, tc.err)
			require.Equal(t, tc.code, code)
			require.Equal(t, tc.stderr, errOut.String())
		})
	}
}
