package logs

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ckat/ckat/internal/testbin"

	"github.com/ckat/ckat/labs/local/agent"
)

// ckat runs bin/ckat with its own CKAT_HOME.
type ckat struct {
	t    *testing.T
	bin  string
	home string
}

func newCkat(t *testing.T) *ckat {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end lab test: skipped under -short")
	}
	c := &ckat{t: t, bin: filepath.Join(testbin.Dir(t, "ckat", "kube-apiserver"), "ckat"), home: t.TempDir()}
	t.Cleanup(func() { c.run("delete", "--all") })
	return c
}

func (c *ckat) run(args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CKAT_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "CKAT_HOME="+c.home)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String(), errb.String(), ee.ExitCode()
	}
	if err != nil {
		c.t.Fatalf("running ckat %v: %v", args, err)
	}
	return out.String(), errb.String(), 0
}

func (c *ckat) must(args ...string) string {
	c.t.Helper()
	out, errOut, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("ckat %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// etcdStatus reads etcd's entry of the node agent's status file.
func (c *ckat) etcdStatus() agent.PodStatus {
	c.t.Helper()
	list, err := agent.ParseStatus([]byte(c.must("exec", "--", "cat", "/run/ckat/pods.json")))
	if err != nil {
		c.t.Fatal(err)
	}
	for _, s := range list {
		if s.Name == "etcd-controlplane" {
			return s
		}
	}
	c.t.Fatalf("no etcd-controlplane in the status file: %+v", list)
	return agent.PodStatus{}
}

var criPrefix = regexp.MustCompile(`(?m)^\S+ (stdout|stderr) [FP] `)

func TestLogsOnARealLab(t *testing.T) {
	c := newCkat(t)
	c.must("lab", "create", "logs", "--wait", "3m")

	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   string // a substring, when code is 0
		stderr   string
		maxLines int
	}{
		{"current run", []string{"logs", "etcd-controlplane"}, 0, `"msg":"serving client traffic securely"`, "", 0},
		{"the static pod's own name", []string{"logs", "--lab", "logs", "etcd"}, 0, `"msg":"serving client traffic securely"`, "", 0},
		{"tail", []string{"logs", "--tail", "3", "kube-apiserver-controlplane"}, 0, "", "", 3},
		{"no previous run yet", []string{"logs", "-p", "etcd-controlplane"}, 1, "",
			`ckat: previous terminated container "etcd" in pod "etcd-controlplane" not found`, 0},
		{"unknown pod", []string{"logs", "coredns"}, 1, "",
			`ckat: pod "coredns" not found on node controlplane (pods with logs: etcd-controlplane, kube-apiserver-controlplane, kube-controller-manager-controlplane, kube-scheduler-controlplane)`, 0},
		{"unknown container", []string{"logs", "-c", "sidecar", "etcd-controlplane"}, 1, "",
			`ckat: container "sidecar" is not in pod "etcd-controlplane" (containers: etcd)`, 0},
		{"unknown lab", []string{"logs", "--lab", "nope", "etcd-controlplane"}, 1, "", `no lab called "nope"`, 0},
		{"no pod named", []string{"logs"}, 2, "", "ckat: say which pod, e.g. ckat logs etcd-controlplane", 0},
		{"two pods", []string{"logs", "etcd-controlplane", "kube-apiserver-controlplane"}, 2, "", "ckat: say which pod", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := c.run(tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			if !strings.Contains(out, tt.stdout) {
				t.Errorf("stdout does not contain %q:\n%s", tt.stdout, out)
			}
			if !strings.Contains(errOut, tt.stderr) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.stderr)
			}
			if criPrefix.MatchString(out) {
				t.Errorf("the CRI timestamps and stream tags were not stripped:\n%s", out)
			}
			if tt.maxLines > 0 && strings.Count(out, "\n") != tt.maxLines {
				t.Errorf("--tail %d printed %d lines", tt.maxLines, strings.Count(out, "\n"))
			}
			if tt.code != 0 && strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("the error is not one line: %q", errOut)
			}
		})
	}

	// After etcd is killed, -p shows how the killed run ended.
	first := c.etcdStatus()
	c.must("exec", "--", "kill", "-9", strconv.Itoa(first.PID))
	deadline := time.Now().Add(60 * time.Second)
	for {
		s := c.etcdStatus()
		if s.Restarts == 1 && s.Ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("etcd not restarted and ready after 60s: %+v", s)
		}
		time.Sleep(time.Second)
	}
	prev := c.must("logs", "-p", "etcd-controlplane")
	cur := c.must("logs", "etcd-controlplane")
	if prev == cur || !strings.Contains(prev, `"msg":"serving client traffic securely"`) {
		t.Errorf("-p did not print the killed run's log:\n%s", prev)
	}
	if !strings.Contains(cur, `"data-dir":"/var/lib/etcd"`) {
		t.Errorf("the current run's log does not show etcd starting on /var/lib/etcd:\n%s", cur)
	}
}
