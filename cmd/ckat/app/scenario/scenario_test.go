package scenario

import (
	"bytes"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ckat/ckat/internal/cli"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd := NewCommand(cli.Streams{In: strings.NewReader(""), Out: &out, Err: &out})
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	err := cmd.Execute()
	return out.String(), err
}

func testdata(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "scenarios", "testdata", name)
}

func TestShow(t *testing.T) {
	out, err := run(t, "show", "etcd-restore")
	require.NoError(t, err)
	for _, want := range []string{
		"etcd-restore: Restore etcd from an earlier snapshot\n",
		"  restoreDir         /var/lib/etcd-{{.params.word}}\n",
		"Stage 1/1: restore\n",
		"  check etcd-data-volume       etcdDataVolume    2 point(s)\n",
		"(counts once objects-restored pass)",
		"Other correct solutions (checked by 'ckat selftest'):\n  every-path-repointed         --data-dir, the mountPath and the hostPath all changed",
		"  only-data-dir-changed        fails etcd-data-volume, etcd-serving",
		"Guide: scenarios/guides/etcd-restore.md\n",
	} {
		require.Contains(t, out, want)
	}
	out, err = run(t, "show", "etcd-backup", "-o", "yaml")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(out, "apiVersion: ckat.dev/v1alpha1\n"), out)

	_, err = run(t, "show", "etcd-nothing")
	require.ErrorContains(t, err, `no scenario called "etcd-nothing" (there are: apiserver-etcd-certfile,`)
}

func TestLint(t *testing.T) {
	valid, invalid := testdata("valid-minimal.yaml"), testdata("invalid-duplicates.yaml")
	out, err := run(t, "lint", valid)
	require.NoError(t, err)
	require.Equal(t, valid+": ok\n", out)

	out, err = run(t, "lint", valid, invalid, "/nonexistent/x.yaml")
	require.Equal(t, cli.ExitFailed, cli.ExitCode(err))
	require.EqualError(t, err, "2 of 3 scenario file(s) have problems")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Equal(t, []string{
		valid + ": ok",
		invalid + `:9:3: params[1]: duplicate parameter name "word"`,
		invalid + `:17:5: stages[0].checks[1]: duplicate check name "snap" in stage "only"`,
		invalid + `:20:3: stages[1]: duplicate stage name "only"`,
		invalid + `:30:3: mistakes[1]: duplicate mistake name "oops"`,
		"/nonexistent/x.yaml: reading scenario: open /nonexistent/x.yaml: no such file or directory",
	}, lines)
}

func TestGuide(t *testing.T) {
	out, err := run(t, "guide", "etcd-backup-restore")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(out, "# Back up etcd, then restore it after an incident\n"))
	require.Contains(t, out, "etcdutl snapshot restore")
	_, err = run(t, "guide", "nope")
	require.ErrorContains(t, err, `no guide for scenario "nope"`)
}
