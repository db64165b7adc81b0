package e2e

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestFailedCreateCleansUp checks that a lab whose API server is not ready
// in time fails with one line saying so, shows the static pods' logs, and
// leaves neither its directory nor any process behind.
func TestFailedCreateCleansUp(t *testing.T) {
	c := newCkat(t)
	r := c.run("lab", "create", "slow", "--wait", "1s")
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	last := lines[len(lines)-1]
	const want = `ckat: creating lab "slow": the API server was not ready after 1s (last /readyz answer: `
	if r.code != 1 || !strings.HasPrefix(last, want) {
		t.Errorf("ckat lab create --wait 1s: exit %d, last line %q; want exit 1 and a line starting %q", r.code, last, want)
	}
	shown := []string{" ✗ Waiting for the API server", "pod kube-apiserver-controlplane: "}
	for _, s := range shown {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr does not show %q:\n%s", s, r.stderr)
		}
	}
	// When it started within the second, its log is shown, or said to be
	// empty when it wrote nothing yet.
	apiLog := regexp.MustCompile(`the last lines of /var/log/pods/kube-system_kube-apiserver-controlplane_\S+ on the node:|/var/log/pods/kube-system_kube-apiserver-controlplane_\S+ on the node is empty: the container has written nothing yet`)
	if !strings.Contains(r.stderr, "pod kube-apiserver-controlplane: Pending, ready=false, restarts=0: ContainerCreating") && !apiLog.MatchString(r.stderr) {
		t.Errorf("stderr shows neither kube-apiserver's log nor that it is empty:\n%s", r.stderr)
	}
	if _, err := os.Lstat(c.labDir("slow")); !os.IsNotExist(err) {
		t.Errorf("the failed lab's directory: %v, want it removed", err)
	}
	if left := processesMentioning(c.labDir("slow")); len(left) > 0 {
		t.Errorf("processes of the failed lab are left: %v", left)
	}
}

// processesMentioning returns the command lines of live processes that
// mention s.
func processesMentioning(s string) []string {
	var found []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && strings.Contains(string(cmdline), s) && e.Name() != fmt.Sprint(os.Getpid()) {
			found = append(found, strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
	}
	return found
}
