package start

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/scenarios"
)

// TestStartRefusesAnotherLab: `ckat start` on an existing lab that is not
// this scenario's (another scenario, seed or provider) says why and
// changes nothing, before it asks the lab's provider anything.
func TestStartRefusesAnotherLab(t *testing.T) {
	t.Setenv("CKAT_HOME", t.TempDir())
	t.Setenv("CKAT_LAB", "")
	sc, err := scenarios.Get("etcd-restore", "")
	require.NoError(t, err)
	_, err = labs.CreateDir(labs.Record{Name: "exam", Provider: "local"})
	require.NoError(t, err)
	require.NoError(t, scenarios.SaveState("exam", scenarios.State{Scenario: "etcd-restore", Seed: 7, Stage: sc.Stages[0].Name}, sc.Source()))

	start := func(args ...string) (string, error) {
		var out bytes.Buffer
		cmd := NewCommand(log.NoOp(), cli.Streams{In: strings.NewReader(""), Out: &out, Err: &out})
		cmd.SetArgs(args)
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		return out.String(), cmd.Execute()
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"etcd-backup", "--lab", "exam"}, `lab "exam" already exists and runs scenario etcd-restore: start etcd-backup on another lab with --lab NAME, or delete this one with 'ckat delete --lab exam'`},
		{[]string{"etcd-restore", "--lab", "exam", "--seed", "8"}, `lab "exam" already exists and runs etcd-restore with seed 7: delete it with 'ckat delete --lab exam' to draw seed 8`},
		{[]string{"etcd-restore", "--lab", "exam", "--provider", "kind"}, `lab "exam" already exists on the local provider, not kind: choose another name with --lab, or delete it with 'ckat delete --lab exam'`},
	} {
		out, err := start(tc.args...)
		require.EqualError(t, err, tc.want, tc.args)
		require.Empty(t, out)
	}
	st, _, err := scenarios.LoadState("exam")
	require.NoError(t, err)
	require.Equal(t, uint64(7), st.Seed)
}
