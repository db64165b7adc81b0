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

// run runs ckat in-process with CKAT_HOME in a temporary directory.
func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	t.Setenv("CKAT_HOME", t.TempDir())
	t.Setenv("CKAT_LAB", "")
	var out, errOut bytes.Buffer
	code = Run(context.Background(), cli.Streams{In: strings.NewReader(""), Out: &out, Err: &errOut}, args)
	return out.String(), errOut.String(), code
}

func TestRenamedCommandsStillWork(t *testing.T) {
	out, errOut, code := run(t, "scenarios")
	require.Equal(t, cli.ExitOK, code, errOut)
	require.Regexp(t, `^NAME\s+TITLE\s+STAGES\n`, out)
	require.Equal(t, "ckat: 'ckat scenarios' is now 'ckat scenario list'\n", errOut)

	out, errOut, code = run(t, "labs", "-o", "json")
	require.Equal(t, cli.ExitOK, code, errOut)
	require.Equal(t, "[]\n", out)
	require.Equal(t, "ckat: 'ckat labs' is now 'ckat lab list'\n", errOut)

	_, errOut, code = run(t, "labs", "-o", "yaml")
	require.Equal(t, cli.ExitCannotRun, code)
	require.Equal(t, `ckat: invalid argument "yaml" for "-o, --output" flag: want text or json (see 'ckat labs --help')`+"\n", errOut)

	help, _, _ := run(t, "--help")
	require.Contains(t, help, "\n  lab ")
	require.NotContains(t, help, "\n  labs ")
	require.NotContains(t, help, "\n  scenarios ")
}

func TestLabList(t *testing.T) {
	out, errOut, code := run(t, "lab", "list")
	require.Equal(t, cli.ExitOK, code)
	require.Empty(t, out)
	require.Equal(t, "No labs. Start one with 'ckat start etcd-backup-restore'.\n", errOut)
	out, _, code = run(t, "lab", "ls", "-o", "json")
	require.Equal(t, cli.ExitOK, code)
	require.Equal(t, "[]\n", out)
}
