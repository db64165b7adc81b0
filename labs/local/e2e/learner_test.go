package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestLearnerCommands works through the etcd-backup scenario with the
// commands a learner uses: start, task, grade, hint, solution, exec, reset.
func TestLearnerCommands(t *testing.T) {
	c := newCkat(t)
	out := c.must("start", "etcd-backup", "--seed", "5")
	if !strings.Contains(out, "Create a snapshot of the etcd instance running at https://127.0.0.1:2379") {
		t.Fatalf("ckat start printed no task:\n%s", out)
	}

	var task struct {
		Scenario, Lab, Stage string
		Params               map[string]string
	}
	if err := json.Unmarshal([]byte(c.must("task", "-o", "json")), &task); err != nil {
		t.Fatal(err)
	}
	backup := task.Params["backupPath"]
	if task.Scenario != "etcd-backup" || task.Lab != "etcd-backup" || task.Stage != "backup" || !strings.HasPrefix(backup, "/opt/backup/") {
		t.Fatalf("ckat task -o json: %+v", task)
	}
	if !strings.Contains(out, backup) {
		t.Errorf("the task printed by start does not name params.backupPath %s:\n%s", backup, out)
	}
	const guide = "Guide: scenarios/guides/etcd-backup.md (print it with 'ckat scenario guide etcd-backup')\n"
	if text := c.must("task"); !strings.Contains(text, guide) {
		t.Errorf("ckat task does not say where the guide is (%q):\n%s", guide, text)
	}

	grade := c.grade
	if rep := grade(1); rep.Score != 0 || rep.Passed || rep.MaxScore == 0 {
		t.Errorf("a fresh lab grades %d/%d (passed %v), want 0 of more", rep.Score, rep.MaxScore, rep.Passed)
	}

	if h := c.must("hint"); !strings.HasPrefix(h, "Hint 1 of ") {
		t.Errorf("first ckat hint: %q", h)
	}
	if h := c.must("hint"); !strings.HasPrefix(h, "Hint 2 of ") {
		t.Errorf("second ckat hint: %q", h)
	}

	solution := c.must("solution")
	if !strings.Contains(solution, "etcdctl") || !strings.Contains(solution, "snapshot save") || !strings.Contains(solution, backup) {
		t.Fatalf("ckat solution does not save a snapshot to %s:\n%s", backup, solution)
	}
	c.must("exec", "--", "bash", "-c", solution)
	if rep := grade(0); !rep.Passed || rep.Score != rep.MaxScore {
		t.Errorf("after the solution: %d/%d (passed %v)", rep.Score, rep.MaxScore, rep.Passed)
	}

	c.must("reset")
	if r := c.run("exec", "--", "test", "-e", backup); r.code == 0 {
		t.Errorf("ckat reset left the learner's snapshot %s in place", backup)
	}
	if rep := grade(1); rep.Score != 0 {
		t.Errorf("after ckat reset: %d/%d, want 0", rep.Score, rep.MaxScore)
	}

	// start, stop, start: the same lab, at the same stage, with the same task.
	if out := c.must("start", "etcd-backup"); !strings.Contains(out, `Scenario etcd-backup runs on lab "etcd-backup", at stage "backup"`) || !strings.Contains(out, backup) {
		t.Errorf("ckat start on the running lab:\n%s", out)
	}
	if r := c.run("stop"); r.code != 0 || !strings.Contains(r.stderr, `Lab "etcd-backup" is stopped; 'ckat start etcd-backup' starts it again`) {
		t.Errorf("ckat stop: exit %d, stderr %q", r.code, r.stderr)
	}
	if out := c.must("start", "etcd-backup"); !strings.Contains(out, `at stage "backup"`) || !strings.Contains(out, backup) {
		t.Errorf("ckat start on the stopped lab:\n%s", out)
	}
	if rep := grade(1); rep.Score != 0 {
		t.Errorf("after ckat stop and start: %d/%d, want 0", rep.Score, rep.MaxScore)
	}
	if r := c.run("start", "etcd-backup", "--seed", "6"); r.code == 0 || !strings.Contains(r.stderr, `lab "etcd-backup" already exists and runs etcd-backup with seed 5`) {
		t.Errorf("ckat start with another seed: exit %d, stderr %q", r.code, r.stderr)
	}
}

// grade runs `ckat grade -o json`, which must exit with wantCode (0 when
// every check passes, 1 when one fails), and returns its report.
func (c *ckat) grade(wantCode int) gradeJSON {
	c.tb.Helper()
	r := c.run("grade", "-o", "json")
	var rep gradeJSON
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		c.tb.Fatalf("ckat grade -o json: %v\n%s%s", err, r.stdout, r.stderr)
	}
	if r.code != wantCode {
		c.tb.Fatalf("ckat grade: exit %d, want %d: %s", r.code, wantCode, r.stdout)
	}
	return rep
}

// gradeJSON is the part of `ckat grade -o json` the tests read.
type gradeJSON struct {
	Score    int  `json:"score"`
	MaxScore int  `json:"maxScore"`
	Passed   bool `json:"passed"`
}
