package selftest_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ckat/ckat/internal/testbin"
	"github.com/ckat/ckat/scenarios"
)

type junit struct {
	Tests  int    `xml:"tests,attr"`
	Fails  int    `xml:"failures,attr"`
	Time   string `xml:"time,attr"`
	Suites []struct {
		Name  string `xml:"name,attr"`
		Cases []struct {
			Name      string  `xml:"name,attr"`
			Time      float64 `xml:"time,attr"`
			SystemOut string  `xml:"system-out"`
			Failure   *struct {
				Message string `xml:"message,attr"`
			} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// TestSelftestBuiltinScenarios runs `ckat selftest` on the local provider
// for every built-in scenario: fresh labs score 0, reference solutions
// score full marks, and every known mistake fails exactly its checks.
func TestSelftestBuiltinScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real labs")
	}
	all, err := scenarios.Builtin()
	require.NoError(t, err)

	out, errOut, took, runErr := runSelftest(t)
	t.Logf("ckat selftest of %d scenarios took %s", len(all), took)
	outcome := "passed"
	if runErr != nil {
		outcome = "failed: " + runErr.Error()
	}
	var rep junit
	xmlErr := xml.Unmarshal(out, &rep)
	saveReport(t, out, fmt.Sprintf("ckat selftest --provider local: %d built-in scenarios in %s, %s\n%s%s", len(all), took, outcome, slowest(rep, 5), errOut))

	require.NoError(t, xmlErr, "selftest's JUnit output:\n%s\nstderr:\n%s", out, errOut)
	require.Len(t, rep.Suites, len(all))
	for i, s := range all {
		suite := rep.Suites[i]
		require.Equal(t, "selftest/"+s.Metadata.Name, suite.Name)
		for _, c := range suite.Cases {
			if c.Failure != nil {
				t.Errorf("%s: %s: %s", s.Metadata.Name, c.Name, c.Failure.Message)
			}
		}
		// started, fresh, one solution per stage, next between stages,
		// one per alternative, one per mistake
		want := 2 + 2*len(s.Stages) - 1 + len(s.Alternatives) + len(s.Mistakes)
		require.Len(t, suite.Cases, want, "cases of %s", s.Metadata.Name)
	}
	require.Zero(t, rep.Fails)
	require.NoError(t, runErr, "stderr:\n%s", errOut)
}

// runSelftest runs `ckat selftest` of every built-in scenario on the
// local provider, with the JUnit report on stdout.
func runSelftest(tb testing.TB) (junitXML []byte, stderr string, took time.Duration, err error) {
	ckat := testbin.Ckat(tb)
	if _, err := os.Stat(ckat); err != nil {
		tb.Fatalf("%s is missing: run make build", ckat)
	}
	var out, errOut bytes.Buffer
	cmd := exec.Command(ckat, "selftest", "--provider", "local", "-o", "junit")
	cmd.Env = append(os.Environ(), "CKAT_HOME="+tb.TempDir(), "NO_COLOR=1")
	cmd.Stdout, cmd.Stderr = &out, &errOut
	began := time.Now()
	err = cmd.Run()
	return out.Bytes(), errOut.String(), time.Since(began).Round(time.Second), err
}

// slowest lists the n slowest cases of a report, one a line with its
// slow checks, after a "slowest cases:" line; CI prints them.
func slowest(rep junit, n int) string {
	type timed struct {
		name string
		secs float64
	}
	var all []timed
	for _, s := range rep.Suites {
		for _, c := range s.Cases {
			name := strings.TrimPrefix(s.Name, "selftest/") + "/" + c.Name
			if waits := strings.TrimPrefix(c.SystemOut, "slow checks: "); waits != "" {
				name += " [" + waits + "]"
			}
			all = append(all, timed{name, c.Time})
		}
	}
	if len(all) == 0 {
		return ""
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].secs > all[j].secs })
	var b strings.Builder
	b.WriteString("slowest cases:\n")
	for _, c := range all[:min(n, len(all))] {
		fmt.Fprintf(&b, "  %5.0fs %s\n", c.secs, c.name)
	}
	return b.String()
}

// BenchmarkSelftestBuiltinScenarios is `ckat selftest` of every built-in
// scenario on the local provider, start to end: README's figure, reported
// as s/selftest, with each run's slowest cases and their slow checks in
// the log.
func BenchmarkSelftestBuiltinScenarios(b *testing.B) {
	if testing.Short() {
		b.Skip("starts real labs")
	}
	var total time.Duration
	runs := 0
	for b.Loop() {
		out, errOut, took, err := runSelftest(b)
		if err != nil {
			b.Fatalf("ckat selftest: %v\n%s", err, errOut)
		}
		total += took
		runs++
		var rep junit
		if xml.Unmarshal(out, &rep) == nil {
			b.Logf("ckat selftest took %s\n%s", took, slowest(rep, 5))
		}
	}
	if runs > 0 {
		b.ReportMetric((total / time.Duration(runs)).Seconds(), "s/selftest")
	}
}

// saveReport keeps selftest's JUnit report and its log in $CKAT_REPORT_DIR
// when that is set, so that CI can publish them and print the time.
func saveReport(t *testing.T, junitXML []byte, log string) {
	dir := os.Getenv("CKAT_REPORT_DIR")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Errorf("report dir: %v", err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, "selftest-junit.xml"), junitXML, 0o644); err != nil {
		t.Errorf("saving the JUnit report: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "selftest.log"), []byte(log), 0o644); err != nil {
		t.Errorf("saving the log: %v", err)
	}
}
