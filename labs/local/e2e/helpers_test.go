package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/ckat/ckat/internal/testbin"
	"github.com/ckat/ckat/labs"
)

// ckat runs the real ckat binary with its own CKAT_HOME.
type ckat struct {
	tb   testing.TB
	bin  string
	home string
	env  []string
}

// result is what a ckat run printed and its exit status.
type result struct {
	stdout, stderr string
	code           int
}

// newCkat returns a ckat with an empty temporary CKAT_HOME; every lab it
// made is deleted when the test ends. Integration tests skip under -short.
func newCkat(tb testing.TB) *ckat {
	tb.Helper()
	if testing.Short() {
		tb.Skip("end-to-end lab test: skipped under -short")
	}
	c := &ckat{tb: tb, bin: testbin.Ckat(tb), home: tb.TempDir()}
	tb.Cleanup(func() {
		if r := c.run("delete", "--all"); r.code != 0 {
			tb.Errorf("ckat delete --all: exit %d: %s", r.code, r.stderr)
		}
	})
	return c
}

// run runs ckat with args and returns what it printed and its exit status.
func (c *ckat) run(args ...string) result {
	return c.runIn(nil, args...)
}

func (c *ckat) runIn(stdin []byte, args ...string) result {
	c.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CKAT_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(append(env, "CKAT_HOME="+c.home), c.env...)
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

// must runs ckat with args and fails the test unless it exits 0.
func (c *ckat) must(args ...string) string {
	c.tb.Helper()
	r := c.run(args...)
	if r.code != 0 {
		c.tb.Fatalf("ckat %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// runErr runs ckat with args and returns an error with what it printed
// unless it exits 0, for eventually.
func (c *ckat) runErr(args ...string) error {
	c.tb.Helper()
	if r := c.run(args...); r.code != 0 {
		return fmt.Errorf("ckat %s: exit %d: %s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return nil
}

// labDir is a lab's directory under this ckat's home.
func (c *ckat) labDir(name string) string { return filepath.Join(c.home, "labs", name) }

// labState is the part of run/state.json the tests read.
type labState struct {
	PID      int    `json:"pid"`
	APIPort  int    `json:"apiPort"`
	EtcdPort int    `json:"etcdPort"`
	NodeIP   string `json:"nodeIP"`
	Stopped  bool   `json:"stopped"`
}

func (c *ckat) state(name string) labState {
	c.tb.Helper()
	data, err := os.ReadFile(filepath.Join(c.labDir(name), "run", "state.json"))
	if err != nil {
		c.tb.Fatal(err)
	}
	var st labState
	if err := json.Unmarshal(data, &st); err != nil {
		c.tb.Fatal(err)
	}
	return st
}

// statuses is `ckat lab list -o json`, by lab name.
func (c *ckat) statuses() map[string]labs.Status {
	c.tb.Helper()
	var list []labs.Status
	out := c.must("lab", "list", "-o", "json")
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		c.tb.Fatalf("ckat lab list -o json: %v\n%s", err, out)
	}
	m := map[string]labs.Status{}
	for _, s := range list {
		m[s.Name] = s
	}
	return m
}

// client is a clientset for a lab from the host, through `ckat kubeconfig`.
func (c *ckat) client(name string) *kubernetes.Clientset {
	c.tb.Helper()
	cfg, err := clientcmd.RESTConfigFromKubeConfig([]byte(c.must("kubeconfig", "--lab", name)))
	if err != nil {
		c.tb.Fatal(err)
	}
	cfg.Timeout = 10 * time.Second
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		c.tb.Fatal(err)
	}
	return cs
}

// pidNamespace is the PID namespace of a process, as /proc shows it.
func pidNamespace(tb testing.TB, pid int) string {
	tb.Helper()
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid))
	if err != nil {
		tb.Fatalf("reading the PID namespace of %d: %v", pid, err)
	}
	return ns
}

// eventually polls f every half second until it returns nil or d passes.
func eventually(tb testing.TB, d time.Duration, what string, f func() error) {
	tb.Helper()
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s: still failing after %s: %v", what, d, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// nsProcesses returns the live processes of PID namespace ns (a
// readlink of /proc/PID/ns/pid), each with its VmRSS in kB.
func nsProcesses(ns string) map[int]int64 {
	procs := map[int]int64{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil {
			continue
		}
		if got, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid)); err != nil || got != ns {
			continue
		}
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		var rss int64
		zombie := false
		for _, line := range strings.Split(string(status), "\n") {
			f := strings.Fields(line)
			switch {
			case len(f) >= 2 && f[0] == "State:":
				zombie = f[1] == "Z" || f[1] == "X"
			case len(f) >= 2 && f[0] == "VmRSS:":
				_, _ = fmt.Sscanf(f[1], "%d", &rss)
			}
		}
		if !zombie {
			procs[pid] = rss
		}
	}
	return procs
}
