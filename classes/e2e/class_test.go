package e2e

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ckat/ckat/classes"
	"github.com/ckat/ckat/internal/testbin"
)

// TestClassOfTwo makes a class of two learners on real local labs (they
// wait frozen until a command reaches them), grades one learner's solved
// stage, and checks what status and every report format say; then
// freezes, kills and restarts labs as an instructor's day may.
func TestClassOfTwo(t *testing.T) {
	c := newCkat(t)
	roster := filepath.Join(t.TempDir(), "roster.txt")
	require.NoError(t, os.WriteFile(roster, []byte("# workshop\nalice\nbob\n"), 0o600))
	out := c.must("class", "create", "it", "--scenario", "etcd-backup-restore", "--roster", roster, "--seed", "7", "--kube-apiserver", filepath.Join(testbin.Dir(t, "ckat", "kube-apiserver"), "kube-apiserver"))
	assert.Contains(t, out, "Instructor's link (shown this once")
	assert.Contains(t, out, "2 of 2 labs ready")
	assert.Contains(t, out, "2 of them wait frozen, using no CPU, until their learner opens their page")
	assert.Contains(t, out, "Run 'ckat serve'")
	tokens := links(out)
	require.Len(t, tokens, 2, out)
	// Both labs wait frozen; the first command on a lab thaws it.
	frozen := c.must("class", "status", "it")
	assert.Regexp(t, `alice\s+it-alice\s+frozen`, frozen)
	assert.Regexp(t, `bob\s+it-bob\s+frozen`, frozen)

	// The same again keeps both learners, their labs and their links.
	again := c.must("class", "create", "it", "--scenario", "etcd-backup-restore", "--roster", roster, "--seed", "7")
	assert.Contains(t, again, "2 learners of class it exist already and keep their labs and links")
	assert.NotContains(t, again, "Instructor's link")
	store, err := classes.DefaultStore()
	require.NoError(t, err)
	class, err := store.Open("it")
	require.NoError(t, err)
	for name, tok := range tokens {
		l, err := class.AuthLearner(tok)
		require.NoError(t, err, name)
		assert.Equal(t, name, l.Name)
	}

	// alice solves the backup stage and grades it from the command line.
	sol := c.must("solution", "--lab", "it-alice")
	if r := c.run([]byte(sol), "exec", "--lab", "it-alice", "--", "sh"); r.code != 0 {
		t.Fatalf("solution: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	if r := c.run(nil, "grade", "--lab", "it-alice", "--wait", "60s"); r.code != 0 || r.stderr != "" {
		t.Fatalf("grade: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	c.must("hint", "--lab", "it-bob")

	var rows []classes.LearnerStatus
	require.NoError(t, json.Unmarshal([]byte(c.must("class", "status", "it", "-o", "json")), &rows))
	require.Len(t, rows, 2)
	assert.Equal(t, "running", string(rows[0].State))
	assert.Equal(t, "backup", rows[0].Stage)
	require.NotNil(t, rows[0].LastGrade, "%+v", rows)
	assert.Equal(t, rows[0].LastGrade.MaxScore, rows[0].LastGrade.Score)
	assert.Nil(t, rows[1].LastGrade)
	assert.Equal(t, 1, rows[1].HintsUsed)
	table := c.must("class", "status", "it")
	assert.Regexp(t, `alice\s+it-alice\s+running\s+backup \(1/2\)\s+4/4\s+\d+s ago\s+0`, table)
	assert.Regexp(t, `bob\s+it-bob\s+running\s+backup \(1/2\)\s+-\s+never\s+1`, table)

	reports := map[string]string{}
	for _, f := range classes.ReportFormats {
		reports[f] = c.must("class", "report", "it", "-o", f)
	}
	assert.Regexp(t, `alice \(lab it-alice\): 4/4, full marks after \d+m?\d*s, 1 grades, 0 hints used`, reports["text"])
	assert.Contains(t, reports["text"], "bob (lab it-bob): never graded, 1 hints used")
	var rep classes.Report
	require.NoError(t, json.Unmarshal([]byte(reports["json"]), &rep))
	require.NotNil(t, rep.Learners[0].FullMarksAfter)
	assert.NotEmpty(t, rep.Learners[0].Checks)
	assert.Contains(t, reports["csv"], "it,alice,it-alice,backup,snapshot-file,pass,2,2,")
	assert.NoError(t, xml.Unmarshal([]byte(reports["junit"]), new(struct{})))
	assert.Contains(t, reports["junit"], `<testsuite name="it/alice" tests="2" failures="0" errors="0"`)
	assert.Contains(t, reports["html"], `<td class="pass">pass</td>`)

	// A frozen lab shows as frozen; grading through the class thaws it.
	ctx := context.Background()
	require.NoError(t, class.Freeze(ctx, "alice"))
	assert.Regexp(t, `alice\s+it-alice\s+frozen`, c.must("class", "status", "it"))
	g, err := class.Grade(ctx, "alice", 30*time.Second)
	require.NoError(t, err)
	assert.True(t, g.Report.Passed)
	assert.Regexp(t, `alice\s+it-alice\s+running`, c.must("class", "status", "it"))

	// bob's lab dies: status says so and how to restart it; restart does.
	require.NoError(t, syscall.Kill(c.nodePID("it-bob"), syscall.SIGKILL))
	require.Eventually(t, func() bool {
		return strings.Contains(c.must("class", "status", "it"), "bob's lab it-bob is dead")
	}, 30*time.Second, 200*time.Millisecond)
	assert.Contains(t, c.must("class", "status", "it"), "restart it with 'ckat class restart it bob'")
	assert.Contains(t, c.must("class", "restart", "it", "bob"), "Lab it-bob of learner bob runs again, with its data.")
	assert.Regexp(t, `bob\s+it-bob\s+running`, c.must("class", "status", "it"))

	// A frozen lab stops as any other when its class is deleted.
	require.NoError(t, class.Freeze(ctx, "bob"))
	assert.Contains(t, c.must("class", "delete", "it"), "Deleted class it and its 2 labs.")
	assert.NotContains(t, c.must("lab", "list", "-o", "json"), "it-alice")
	_, _, err = store.AuthLearner(tokens["alice"])
	assert.ErrorIs(t, err, classes.ErrBadToken)
}
