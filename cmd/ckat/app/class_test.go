package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ckat/ckat/classes"
	"github.com/ckat/ckat/internal/cli"
)

// runHome runs ckat in-process with CKAT_HOME at home.
func runHome(t *testing.T, home string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	t.Setenv("CKAT_HOME", home)
	t.Setenv("CKAT_LAB", "")
	var out, errOut bytes.Buffer
	code = Run(context.Background(), cli.Streams{In: strings.NewReader(""), Out: &out, Err: &errOut}, args)
	return out.String(), errOut.String(), code
}

func TestClassCommandsRefuseBadInput(t *testing.T) {
	home := t.TempDir()
	_, _, err := classes.NewStore(filepath.Join(home, "classes")).Create("cka", "etcd-backup", "local", nil)
	require.NoError(t, err)
	hostile := filepath.Join(t.TempDir(), "roster.txt")
	require.NoError(t, os.WriteFile(hostile, []byte("alice\n../../root\nalice\nbob;rm -rf /\n"), 0o600))
	for _, tc := range []struct {
		name   string
		args   []string
		stderr string
	}{
		{"status of an unknown class", []string{"class", "status", "nope"}, `ckat: class not found: no class called "nope" (see 'ckat class list')`},
		{"report of an unknown class", []string{"class", "report", "nope", "-o", "csv"}, `ckat: class not found: no class called "nope" (see 'ckat class list')`},
		{"delete of an unknown class", []string{"class", "delete", "nope"}, `ckat: class not found: no class called "nope" (see 'ckat class list')`},
		{"restart of an unknown learner", []string{"class", "restart", "cka", "mallory"}, `ckat: no such learner: class cka has no learner "mallory"`},
		{"a class name that is a path", []string{"class", "status", "../labs"}, `ckat: invalid class name "../labs"`},
		{"a report format ckat does not write", []string{"class", "report", "cka", "-o", "pdf"}, `ckat: invalid argument "pdf" for "-o, --output" flag: want text, json, csv, junit or html`},
		{"a hostile roster", []string{"class", "create", "new", "--scenario", "etcd-backup", "--roster", hostile},
			"line 2: invalid learner name \"../../root\": use 1 to 19 lowercase letters, digits and '-', starting and ending with a letter or digit\n  line 3: \"alice\" is already on line 1\n  line 4: invalid learner name \"bob;rm -rf /\""},
		{"a roster that is not there", []string{"class", "create", "new", "--scenario", "etcd-backup", "--roster", "/nonexistent/roster"}, "ckat: reading the roster: open /nonexistent/roster: no such file or directory"},
		{"a class larger than the machine", []string{"class", "create", "new", "--scenario", "etcd-backup", "--learners", "100000"}, "ckat: this machine cannot hold 100000 more labs: each needs 512 MiB, and "},
		{"no learners", []string{"class", "create", "new", "--scenario", "etcd-backup"}, "ckat: say who the learners are with either --learners N or --roster FILE"},
		{"both kinds of learners", []string{"class", "create", "new", "--scenario", "etcd-backup", "--learners", "2", "--roster", hostile}, "ckat: say who the learners are with either --learners N or --roster FILE"},
		{"zero learners", []string{"class", "create", "new", "--scenario", "etcd-backup", "--learners", "0"}, "ckat: --learners must be at least 1, not 0"},
		{"an unknown scenario", []string{"class", "create", "new", "--scenario", "nope", "--learners", "1"}, `ckat: scenario not found: no scenario called "nope"`},
		{"an existing class of another scenario", []string{"class", "create", "cka", "--scenario", "etcd-restore", "--learners", "1"}, "ckat: class cka exists and works on scenario etcd-backup, not etcd-restore"},
		{"an existing class with another seed", []string{"class", "create", "cka", "--scenario", "etcd-backup", "--learners", "1", "--seed", "3"}, "ckat: class cka exists and draws each learner's own task, not seed 3"},
		{"no lab at a time", []string{"class", "create", "new", "--scenario", "etcd-backup", "--learners", "1", "--parallel", "0"}, "ckat: --parallel must be at least 1, not 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runHome(t, home, tc.args...)
			assert.Equal(t, cli.ExitCannotRun, code)
			assert.Empty(t, out)
			assert.Contains(t, errOut, tc.stderr)
			entries, err := os.ReadDir(filepath.Join(home, "classes"))
			require.NoError(t, err)
			require.Len(t, entries, 1, "nothing is made")
			_, err = os.Stat(filepath.Join(home, "labs"))
			assert.True(t, os.IsNotExist(err), "no lab is made")
		})
	}
}

func TestClassListAndEmptyStatus(t *testing.T) {
	home := t.TempDir()
	_, errOut, code := runHome(t, home, "class", "list")
	require.Equal(t, cli.ExitOK, code)
	require.Equal(t, "No classes. Make one with 'ckat class create CLASS --scenario S --learners N'.\n", errOut)
	_, _, err := classes.NewStore(filepath.Join(home, "classes")).Create("cka", "etcd-backup", "local", nil)
	require.NoError(t, err)
	out, _, code := runHome(t, home, "class", "list")
	require.Equal(t, cli.ExitOK, code)
	require.Regexp(t, `^CLASS\s+SCENARIO\s+LEARNERS\s+AGE\ncka\s+etcd-backup\s+0\s+\S+\n$`, out)
	out, _, code = runHome(t, home, "class", "status", "cka")
	require.Equal(t, cli.ExitOK, code)
	require.Equal(t, "LEARNER  LAB  STATE  STAGE  SCORE  LAST GRADE  HINTS\n", out)
}
