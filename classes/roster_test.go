package classes

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRosterValid(t *testing.T) {
	want := map[string][]string{
		"valid-comments.txt": {"alice", "bob", "carol-2"},
		"valid-short.txt":    {"a", "b", "c"},
		"valid-longest.txt":  {"abcdefghijklmnopqrs", "1"},
	}
	files, _ := filepath.Glob("testdata/valid-*.txt")
	require.Len(t, files, len(want))
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r, err := os.Open(f)
			require.NoError(t, err)
			defer r.Close()
			names, err := ParseRoster(r)
			require.NoError(t, err)
			assert.Equal(t, want[filepath.Base(f)], names)
		})
	}
}

func TestParseRosterInvalid(t *testing.T) {
	// Each roster's message names the line and what is wrong with it.
	want := map[string][]string{
		"invalid-duplicate.txt": {`line 3: "alice" is already on line 1`},
		"invalid-traversal.txt": {`line 2: invalid learner name "../../etc"`},
		"invalid-spaces.txt":    {`line 2: invalid learner name "Alice Smith"`},
		"invalid-toolong.txt":   {`line 1: invalid learner name "abcdefghijklmnopqrst": use 1 to 19`},
		"invalid-empty.txt":     {"the roster names no learner"},
		"invalid-dashes.txt":    {`line 2: invalid learner name "-bob"`, `line 3: invalid learner name "bob-"`},
		"invalid-unicode.txt":   {"line 2: invalid learner name \"b\u00e9b\""},
		"invalid-slash.txt":     {`line 2: invalid learner name "bad/name"`},
	}
	files, _ := filepath.Glob("testdata/invalid-*.txt")
	require.Len(t, files, len(want))
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r, err := os.Open(f)
			require.NoError(t, err)
			defer r.Close()
			names, err := ParseRoster(r)
			require.Error(t, err)
			assert.Nil(t, names)
			for _, w := range want[filepath.Base(f)] {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestParseRosterHugeLine(t *testing.T) {
	_, err := ParseRoster(strings.NewReader(strings.Repeat("a", 1<<20)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "reading the roster")
}

func TestNumberedLearners(t *testing.T) {
	assert.Equal(t, []string{"learner-01", "learner-02"}, NumberedLearners(2))
	assert.Equal(t, "learner-100", NumberedLearners(100)[99])
	assert.Equal(t, "learner-001", NumberedLearners(100)[0])
}

func TestCapacityCheck(t *testing.T) {
	cp := capacityOf(3 << 30)
	assert.Equal(t, 6, cp.Fit)
	assert.NoError(t, cp.Check(6))
	err := cp.Check(7)
	require.Error(t, err)
	assert.Equal(t, "this machine cannot hold 7 more labs: each needs 512 MiB, and 3072 MiB is available (MemAvailable in /proc/meminfo), which holds 6; make a smaller class or free memory", err.Error())
	assert.NoError(t, capacityOf(0).Check(1000), "an unknown capacity refuses nothing")

	cp = capacityOf(64 << 30)
	cp.InotifyLimit, cp.InotifyInUse = 128, 110
	assert.NoError(t, cp.Check(2))
	err = cp.Check(3)
	require.Error(t, err)
	assert.Equal(t, "this machine cannot hold 3 more labs: each lab's kubelet and control plane watch files with 9 inotify instances, and fs.inotify.max_user_instances is 128 with 110 in use, which holds 2 (past it, a kubelet sees a moved manifest only 20 s later); raise the limit with 'sysctl -w fs.inotify.max_user_instances=1024' as root, or make a smaller class", err.Error())
	cp.InotifyInUse = 200 // other programs may hold more than the limit allows a new one
	assert.ErrorContains(t, cp.Check(1), "which holds 0")
	cp.InotifyLimit, cp.InotifyInUse = 128, 0
	assert.ErrorContains(t, cp.Check(120), "'sysctl -w fs.inotify.max_user_instances=2048'")
}
