package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ckat/ckat/internal/testbin"
)

// ckat runs the real ckat binary with its own CKAT_HOME, which the test
// process uses too (for the classes package's own calls).
type ckat struct {
	tb   testing.TB
	bin  string
	home string
}

type result struct {
	stdout, stderr string
	code           int
}

// newCkat returns a ckat with an empty temporary CKAT_HOME; every lab it
// made is deleted when the test ends.
func newCkat(tb testing.TB) *ckat {
	tb.Helper()
	if testing.Short() {
		tb.Skip("end-to-end class test: skipped under -short")
	}
	c := &ckat{tb: tb, bin: testbin.Ckat(tb), home: tb.TempDir()}
	tb.Setenv("CKAT_HOME", c.home)
	tb.Setenv("CKAT_LAB", "")
	tb.Cleanup(func() {
		if r := c.run(nil, "delete", "--all"); r.code != 0 {
			tb.Errorf("ckat delete --all: exit %d: %s", r.code, r.stderr)
		}
	})
	return c
}

func (c *ckat) run(stdin []byte, args ...string) result {
	c.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CKAT_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "CKAT_HOME="+c.home)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		c.tb.Fatalf("running ckat %v: %v", args, err)
	}
	return r
}

// must runs ckat and fails the test unless it exits 0.
func (c *ckat) must(args ...string) string {
	c.tb.Helper()
	r := c.run(nil, args...)
	if r.code != 0 {
		c.tb.Fatalf("ckat %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// labDir is a lab's directory in the test's CKAT_HOME.
func (c *ckat) labDir(lab string) string { return filepath.Join(c.home, "labs", lab) }

// nodePID is the host PID of a local lab's node (run/state.json).
func (c *ckat) nodePID(lab string) int {
	c.tb.Helper()
	data, err := os.ReadFile(filepath.Join(c.labDir(lab), "run", "state.json"))
	if err != nil {
		c.tb.Fatal(err)
	}
	var st struct {
		PID int `json:"pid"`
	}
	if err := json.Unmarshal(data, &st); err != nil {
		c.tb.Fatal(err)
	}
	return st.PID
}

var linkRE = regexp.MustCompile(`(?m)^\s+(\S+)\s+http://127\.0\.0\.1:8080/learn/([A-Za-z0-9_-]{43})$`)

// links returns the learner links `ckat class create` printed, by learner.
func links(out string) map[string]string {
	m := map[string]string{}
	for _, sm := range linkRE.FindAllStringSubmatch(out, -1) {
		m[sm[1]] = sm[2]
	}
	return m
}
