package scenario

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ckat/ckat/scenarios"
)

func TestList(t *testing.T) {
	out, err := run(t, "list")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Regexp(t, `^NAME\s+TITLE\s+STAGES$`, lines[0])
	builtin, err := scenarios.Builtin()
	require.NoError(t, err)
	require.Len(t, lines, 1+len(builtin), "a header and one line per built-in scenario")
	require.Regexp(t, `(?m)^etcd-backup-restore\s+Back up etcd, then restore it after an incident\s+2$`, out)
}

func TestListWithScenarioDir(t *testing.T) {
	dir := t.TempDir()
	own := "apiVersion: ckat.dev/v1alpha1\nkind: Scenario\nmetadata: {name: my-own, title: An instructor's own}\n" +
		"stages:\n- name: s\n  task: t\n  checks:\n  - {name: c, snapshotFile: {path: /x.db}}\n  solution: \"true\"\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "own.yaml"), []byte(own), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a scenario"), 0o644))
	out, err := run(t, "list", "--scenario-dir", dir)
	require.NoError(t, err)
	require.Regexp(t, `(?m)^my-own\s+An instructor's own\s+1$`, out)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "broken.yaml"), []byte("kind: Scenario\n"), 0o644))
	_, err = run(t, "list", "--scenario-dir", dir)
	require.ErrorContains(t, err, filepath.Join(dir, "broken.yaml")+`:1:1: missing required field "apiVersion"`)

	// Two files declaring one name: the second is named, with the first.
	require.NoError(t, os.Remove(filepath.Join(dir, "broken.yaml")))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "same.yaml"), []byte(own), 0o644))
	_, err = run(t, "list", "--scenario-dir", dir)
	require.ErrorContains(t, err, filepath.Join(dir, "same.yaml")+`:3:18: metadata.name: scenario "my-own" is also declared in `+filepath.Join(dir, "own.yaml"))

	_, err = run(t, "list", "--scenario-dir", filepath.Join(dir, "missing"))
	require.ErrorContains(t, err, "reading scenario directory")
}
