package cli

import (
	"bytes"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"
)

// runOutput parses args on a command with -o text|json|junit and returns
// the format the command saw.
func runOutput(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var got string
	cmd := &cobra.Command{Use: "grade", SilenceErrors: true, SilenceUsage: true}
	out := AddOutputFlag(cmd, "json", "junit")
	cmd.RunE = func(*cobra.Command, []string) error { got = out.String(); return nil }
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	return got, cmd.Execute()
}

func TestOutputFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "text"},
		{[]string{"-o", "json"}, "json"},
		{[]string{"--output=junit"}, "junit"},
		{[]string{"-o", "table"}, "text"},
	} {
		got, err := runOutput(t, tc.args...)
		require.NoError(t, err, tc.args)
		require.Equal(t, tc.want, got, tc.args)
	}

	_, err := runOutput(t, "-o", "yaml")
	require.EqualError(t, err, `invalid argument "yaml" for "-o, --output" flag: want text, json or junit`)
	require.Equal(t, ExitCannotRun, ExitCode(err))
}

func TestOutputFlagHelp(t *testing.T) {
	cmd := &cobra.Command{Use: "labs"}
	AddOutputFlag(cmd, "json")
	require.Equal(t, "output format: text or json", cmd.Flags().Lookup("output").Usage)
	require.Equal(t, "text", cmd.Flags().Lookup("output").DefValue)
}
