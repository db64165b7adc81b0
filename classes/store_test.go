package classes

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ckat/ckat/grader"
)

func newClass(t *testing.T, learners ...string) (*Store, *Class, string, map[string]string) {
	t.Helper()
	s := NewStore(filepath.Join(t.TempDir(), "classes"))
	c, itok, err := s.Create("cka", "etcd-backup", "local", nil)
	require.NoError(t, err)
	tokens := map[string]string{}
	for _, n := range learners {
		_, tok, err := c.AddLearner(n, LabName("cka", n), time.Now().Add(-10*time.Minute))
		require.NoError(t, err)
		tokens[n] = tok
	}
	return s, c, itok, tokens
}

func TestStoreCreateOpenListDelete(t *testing.T) {
	s, c, itok, _ := newClass(t, "alice")
	fi, err := os.Stat(c.Dir())
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	for _, f := range []string{classFile, instructorFile} {
		fi, err := os.Stat(filepath.Join(c.Dir(), f))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), f)
	}
	got, err := c.InstructorToken()
	require.NoError(t, err)
	assert.Equal(t, itok, got)
	data, err := os.ReadFile(filepath.Join(c.Dir(), classFile))
	require.NoError(t, err)
	assert.NotContains(t, string(data), itok, "class.json holds hashes only")

	_, _, err = s.Create("cka", "etcd-backup", "local", nil)
	assert.True(t, errors.Is(err, ErrExists), "%v", err)

	o, err := s.Open("cka")
	require.NoError(t, err)
	assert.Equal(t, []string{"alice"}, []string{o.Learners[0].Name})
	all, err := s.List()
	require.NoError(t, err)
	require.Len(t, all, 1)

	_, err = s.Open("nope")
	assert.True(t, errors.Is(err, ErrNotFound))
	assert.EqualError(t, err, `class not found: no class called "nope"`)
	_, err = s.Open("../etc")
	assert.ErrorContains(t, err, "invalid class name")

	require.NoError(t, s.Delete("cka"))
	_, err = os.Stat(c.Dir())
	assert.True(t, os.IsNotExist(err))
	assert.True(t, errors.Is(s.Delete("cka"), ErrNotFound))
}

func TestStoreDeleteRefusesForeignDirectory(t *testing.T) {
	s := NewStore(t.TempDir())
	require.NoError(t, os.Mkdir(filepath.Join(s.Dir(), "mine"), 0o700))
	assert.ErrorContains(t, s.Delete("mine"), "it has no class.json")
	assert.DirExists(t, filepath.Join(s.Dir(), "mine"))
}

func TestAddLearnerTwice(t *testing.T) {
	_, c, _, _ := newClass(t, "alice")
	_, _, err := c.AddLearner("alice", "cka-alice", time.Now())
	assert.EqualError(t, err, `class cka has a learner "alice" already`)
	_, _, err = c.AddLearner("Bob", "cka-bob", time.Now())
	assert.ErrorContains(t, err, `invalid learner name "Bob"`)
}

func TestTokens(t *testing.T) {
	s, c, itok, tokens := newClass(t, "alice", "bob")
	assert.Len(t, tokens["alice"], 43)
	l, err := c.AuthLearner(tokens["bob"])
	require.NoError(t, err)
	assert.Equal(t, "bob", l.Name)
	cl, l, err := s.AuthLearner(tokens["alice"])
	require.NoError(t, err)
	assert.Equal(t, "cka", cl.Name)
	assert.Equal(t, "alice", l.Name)
	require.NoError(t, c.AuthInstructor(itok))
	ic, err := s.AuthInstructor(itok)
	require.NoError(t, err)
	assert.Equal(t, "cka", ic.Name)

	bad := map[string]string{
		"empty":              "",
		"instructor's token": itok,
		"one character off":  tokens["alice"][:42] + flip(tokens["alice"][42]),
		"malformed":          "../../../etc/passwd",
		"too long":           tokens["alice"] + "A",
		"the hash itself":    c.Learners[0].TokenHash,
	}
	for name, tok := range bad {
		_, err := c.AuthLearner(tok)
		assert.True(t, errors.Is(err, ErrBadToken), "%s: %v", name, err)
		_, _, err = s.AuthLearner(tok)
		assert.True(t, errors.Is(err, ErrBadToken), "%s: %v", name, err)
	}
	assert.ErrorIs(t, c.AuthInstructor(tokens["alice"]), ErrBadToken)
	_, err = s.AuthInstructor(tokens["alice"])
	assert.ErrorIs(t, err, ErrBadToken)
	require.NoError(t, s.Delete("cka"))
	_, _, err = s.AuthLearner(tokens["alice"])
	assert.ErrorIs(t, err, ErrBadToken, "a deleted class's tokens reach nothing")
}

func flip(b byte) string {
	if b == 'A' {
		return "B"
	}
	return "A"
}

func sampleReport(score bool) grader.Report {
	rep := grader.Report{Scenario: "etcd-backup", Lab: "cka-alice"}
	pts := 0
	st := grader.StatusFail
	if score {
		pts, st = 2, grader.StatusPass
	}
	rep.Add(grader.Result{Name: "snapshot-exists", Stage: "backup", Status: st, Points: pts, MaxPoints: 2, Message: "=HYPERLINK(\"x\") <script>alert(1)</script>",
		Evidence: []grader.Evidence{{Source: "node:/opt/backup.db", Field: "size", Want: "a snapshot", Got: "(secret, 5 bytes, sha256 0011aabb…)"}}})
	rep.Add(grader.Result{Name: "secret-kept", Stage: "backup", Status: grader.StatusPass, Points: 1, MaxPoints: 1, Message: "ok"})
	return rep
}

func TestRecordsStatusAndReport(t *testing.T) {
	_, c, _, _ := newClass(t, "alice", "bob", "carol")
	_, err := c.RecordGrade("bob", "backup", sampleReport(false))
	require.NoError(t, err)
	_, err = c.RecordGrade("alice", "backup", sampleReport(false))
	require.NoError(t, err)
	require.NoError(t, c.RecordHint("alice", "backup", 1))
	_, err = c.RecordGrade("alice", "backup", sampleReport(true))
	require.NoError(t, err)
	assert.ErrorIs(t, c.RecordHint("mallory", "backup", 1), ErrNoLearner)
	fi, err := os.Stat(filepath.Join(c.Dir(), "learners", "alice", "grades.jsonl"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	assert.False(t, c.LastRecorded().IsZero())

	rep, err := c.BuildReport()
	require.NoError(t, err)
	require.Len(t, rep.Learners, 3)
	a := rep.Learners[0]
	assert.Equal(t, 3, a.Score)
	assert.Equal(t, 3, a.MaxScore)
	assert.Equal(t, 2, a.Grades)
	assert.Equal(t, 1, a.HintsUsed)
	require.NotNil(t, a.FullMarksAfter)
	assert.InDelta(t, 10*time.Minute, time.Duration(*a.FullMarksAfter), float64(5*time.Second))
	require.Len(t, a.Checks, 2)
	assert.Equal(t, grader.StatusPass, a.Checks[0].Status)
	assert.Equal(t, 1, rep.Learners[1].Grades)
	assert.Nil(t, rep.Learners[1].FullMarksAfter)
	assert.Equal(t, 0, rep.Learners[2].Grades)

	outs := map[string]string{}
	for _, f := range ReportFormats {
		var b bytes.Buffer
		require.NoError(t, WriteReport(&b, rep, f), f)
		outs[f] = b.String()
	}
	assert.Contains(t, outs["text"], "alice (lab cka-alice): 3/3, full marks after 10m0s, 2 grades, 1 hints used")
	assert.Contains(t, outs["text"], "bob (lab cka-bob): 1/3, no full marks yet, 1 grades, 0 hints used")
	var back Report
	require.NoError(t, json.Unmarshal([]byte(outs["json"]), &back))
	assert.Equal(t, "10m0s", back.Learners[0].FullMarksAfter.String())
	assert.Contains(t, outs["csv"], "class,learner,lab,stage,check,status")
	assert.Contains(t, outs["csv"], `"'=HYPERLINK(""x"")`, "a formula is defused")
	assert.Contains(t, outs["csv"], "cka,carol,cka-carol,,,not graded")
	assert.NoError(t, xml.Unmarshal([]byte(outs["junit"]), new(any)))
	assert.Contains(t, outs["junit"], `<testsuite name="cka/alice"`)
	assert.Contains(t, outs["junit"], `<failure message="=HYPERLINK(&#34;x&#34;) &lt;script&gt;`)
	assert.Contains(t, outs["junit"], `<skipped message="never graded">`)
	assert.NotContains(t, outs["html"], "<script>alert", "html escapes what learners wrote")
	assert.Contains(t, outs["html"], "&lt;script&gt;")
	for f, out := range outs {
		assert.Contains(t, out, "(secret, 5 bytes, sha256 0011aabb…)", f)
	}
	assert.EqualError(t, WriteReport(&bytes.Buffer{}, rep, "pdf"), `unknown report format "pdf": use one of text, json, csv, junit, html`)
	assert.True(t, strings.HasPrefix(outs["html"], "<!DOCTYPE html>"))
}
