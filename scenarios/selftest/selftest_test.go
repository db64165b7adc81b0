package selftest

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ckat/ckat/grader"
	"github.com/ckat/ckat/internal/log"
)

// mistakeCase grades a mistake's report as selftest does and returns the
// text a user sees for it.
func mistakeCase(t *testing.T, rep grader.Report, fails ...string) (Case, string) {
	t.Helper()
	res := Result{Scenario: "etcd-restore", Lab: "st-etcd-restore"}
	r := runner{logger: log.NoOp(), res: &res}
	r.add("mistake api-server-not-moved-back fails objects-restored, api-server-manifest", mistakeVerdict(rep, fails), time.Now())
	var buf bytes.Buffer
	WriteText(&buf, []Result{res}, time.Second)
	return res.Cases[0], buf.String()
}

func gradeReport(checks ...grader.Result) grader.Report {
	var rep grader.Report
	for _, c := range checks {
		rep.Add(c)
	}
	return rep
}

var (
	restoredPass  = grader.Result{Name: "restored-data-dir", Status: grader.StatusPass, Message: "is a restore"}
	manifestFail  = grader.Result{Name: "api-server-manifest", Status: grader.StatusFail, Message: "kube-apiserver.yaml is not in /etc/kubernetes/manifests"}
	objectsFail   = grader.Result{Name: "objects-restored", Status: grader.StatusFail, Message: "configmap shop/settings is missing"}
	objectsCannot = grader.Result{Name: "objects-restored", Status: grader.StatusError, Message: "could not look: the API server at https://127.0.0.1:6443 did not answer GET configmap shop/settings: connection refused"}
)

// TestMistakeFailsOnlyByStatusFail: a mistake's fails list is met by
// checks that fail, not by checks that could not look.
func TestMistakeFailsOnlyByStatusFail(t *testing.T) {
	c, _ := mistakeCase(t, gradeReport(restoredPass, manifestFail, objectsFail), "objects-restored", "api-server-manifest")
	require.True(t, c.Passed, c.Message)

	c, out := mistakeCase(t, gradeReport(restoredPass, manifestFail, objectsCannot), "objects-restored", "api-server-manifest")
	require.False(t, c.Passed)
	require.Contains(t, out, "  FAIL mistake api-server-not-moved-back fails objects-restored, api-server-manifest")
	require.Contains(t, out, "       could not look (status error, which proves nothing about the mistake): objects-restored: could not look: the API server at https://127.0.0.1:6443 did not answer GET configmap shop/settings: connection refused; "+
		"and want exactly [api-server-manifest, objects-restored] to fail, got [api-server-manifest]: ")
	require.Contains(t, out, "FAIL (1 failed)")
}

// TestMistakeCheckCouldNotLook: a check that could not look fails the
// case even when it is not in the fails list and the list is met.
func TestMistakeCheckCouldNotLook(t *testing.T) {
	c, out := mistakeCase(t, gradeReport(restoredPass, manifestFail, objectsCannot), "api-server-manifest")
	require.False(t, c.Passed)
	require.Equal(t, "could not look (status error, which proves nothing about the mistake): objects-restored: could not look: the API server at https://127.0.0.1:6443 did not answer GET configmap shop/settings: connection refused", c.Message)
	require.Contains(t, out, "       "+c.Message+"\n")
}

// TestMistakeWrongChecks: a check that should fail and passes, or one
// that fails and is not listed, is named with what the grader said.
func TestMistakeWrongChecks(t *testing.T) {
	c, _ := mistakeCase(t, gradeReport(restoredPass, manifestFail, objectsFail), "restored-data-dir", "api-server-manifest")
	require.False(t, c.Passed)
	require.Equal(t, "want exactly [api-server-manifest, restored-data-dir] to fail, got [api-server-manifest, objects-restored]: "+
		"api-server-manifest fail: kube-apiserver.yaml is not in /etc/kubernetes/manifests; objects-restored fail: configmap shop/settings is missing", c.Message)
}

// TestWaits: a case names its checks that took a second or more, slowest
// first, and how often it graded when more than once.
func TestWaits(t *testing.T) {
	rep := gradeReport(
		grader.Result{Name: "restored-data-dir", Elapsed: 300 * time.Millisecond},
		grader.Result{Name: "etcd-serving", Elapsed: 1200 * time.Millisecond},
		grader.Result{Name: "api-server-ready", Elapsed: 20 * time.Second})
	require.Equal(t, "api-server-ready 20s, etcd-serving 1.2s", waits(&rep, 1))
	require.Equal(t, "api-server-ready 20s, etcd-serving 1.2s (graded 3 times)", waits(&rep, 3))
	quick := gradeReport(grader.Result{Name: "restored-data-dir", Elapsed: time.Millisecond})
	require.Equal(t, "(graded 2 times)", waits(&quick, 2))
	require.Empty(t, waits(&quick, 1))
	require.Empty(t, waits(nil, 0))
}
