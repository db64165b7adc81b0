package selftest_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ckat/ckat/scenarios"
)

// binDir is $CKAT_BIN_DIR, else the repository's bin/.
func binDir(t *testing.T) string {
	if d := os.Getenv("CKAT_BIN_DIR"); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "bin")
}

type junit struct {
	Tests  int `xml:"tests,attr"`
	Fails  int `xml:"failures,attr"`
	Suites []struct {
		Name  string `xml:"name,attr"`
		Cases []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
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
	ckat := filepath.Join(binDir(t), "ckat")
	if _, err := os.Stat(ckat); err != nil {
		t.Fatalf("%s is missing: run make build", ckat)
	}
	all, err := scenarios.Builtin()
	require.NoError(t, err)

	var out, errOut bytes.Buffer
	cmd := exec.Command(ckat, "selftest", "--provider", "local", "-o", "junit")
	cmd.Env = append(os.Environ(), "CKAT_HOME="+t.TempDir(), "NO_COLOR=1")
	cmd.Stdout, cmd.Stderr = &out, &errOut
	began := time.Now()
	runErr := cmd.Run()
	took := time.Since(began).Round(time.Second)
	t.Logf("ckat selftest of %d scenarios took %s", len(all), took)
	outcome := "passed"
	if runErr != nil {
		outcome = "failed: " + runErr.Error()
	}
	saveReport(t, out.Bytes(), fmt.Sprintf("ckat selftest --provider local: %d built-in scenarios in %s, %s\n%s", len(all), took, outcome, errOut.String()))

	var rep junit
	require.NoError(t, xml.Unmarshal(out.Bytes(), &rep), "selftest's JUnit output:\n%s\nstderr:\n%s", out.String(), errOut.String())
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
	require.NoError(t, runErr, "stderr:\n%s", errOut.String())
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
