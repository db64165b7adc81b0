package kind

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	kindexec "sigs.k8s.io/kind/pkg/exec"

	"github.com/ckat/ckat/labs"
)

// hostRunner stands in for a node container by running each command on
// this machine, whose coreutils, findutils and tar are the ones a kind
// node (Debian) has. It records the commands as the node would get them.
type hostRunner struct {
	mu    sync.Mutex
	calls []labs.Command
}

func (h *hostRunner) run(ctx context.Context, cmd labs.Command) error {
	h.mu.Lock()
	h.calls = append(h.calls, cmd)
	h.mu.Unlock()
	args := cmd.Args
	if cmd.Dir != "" {
		args = withDir(cmd.Dir, args)
	}
	c := exec.CommandContext(ctx, args[0], args[1:]...)
	c.Env = append(os.Environ(), cmd.Env...)
	c.Stdin, c.Stdout, c.Stderr = cmd.Stdin, cmd.Stdout, cmd.Stderr
	err := c.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return &labs.ExitError{Args: cmd.Args, Code: ee.ExitCode()}
	}
	return err
}

func (h *hostRunner) commands() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, c := range h.calls {
		out = append(out, fmt.Sprintf("%q", c.Args))
	}
	return out
}

// scriptedRunner answers commands from a script, for node tools this
// machine lacks (crictl, ctr, etcd). Unscripted commands fail the test.
type scriptedRunner struct {
	t      *testing.T
	script map[string]reply
	calls  []string
}

type reply struct {
	stdout, stderr string
	code           int
}

func (s *scriptedRunner) run(_ context.Context, cmd labs.Command) error {
	key := strings.Join(cmd.Args, " ")
	s.calls = append(s.calls, key)
	r, ok := s.script[key]
	if !ok {
		s.t.Errorf("unexpected command on the node: %s", key)
		return &labs.ExitError{Args: cmd.Args, Code: 127}
	}
	if cmd.Stdout != nil {
		_, _ = cmd.Stdout.Write([]byte(r.stdout))
	}
	if cmd.Stderr != nil {
		_, _ = cmd.Stderr.Write([]byte(r.stderr))
	}
	if r.code != 0 {
		return &labs.ExitError{Args: cmd.Args, Code: r.code}
	}
	return nil
}

func TestTTYExecArgs(t *testing.T) {
	got := ttyExecArgs("ckat-x-control-plane", labs.Command{
		Args: []string{"bash", "-l"}, Dir: "/root", Env: []string{"KUBECONFIG=/etc/kubernetes/admin.conf"}, TTY: true,
	})
	want := []string{"exec", "--privileged", "-i", "-t", "-w", "/root", "-e", "KUBECONFIG=/etc/kubernetes/admin.conf", "ckat-x-control-plane", "bash", "-l"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestExitError(t *testing.T) {
	err := exitError([]string{"false"}, exec.Command("false").Run())
	var ee *labs.ExitError
	if !errors.As(err, &ee) || ee.Code != 1 || ee.Args[0] != "false" {
		t.Errorf("got %v, want exit status 1 of false", err)
	}
	// kind's exec wraps the exit in its RunError, with a stack.
	err = exitError([]string{"etcdctl"}, kindexec.Command("sh", "-c", "exit 3").Run())
	if !errors.As(err, &ee) || ee.Code != 3 || ee.Args[0] != "etcdctl" {
		t.Errorf("got %v, want exit status 3 of etcdctl", err)
	}
	err = exitError([]string{"x"}, exec.Command("/nonexistent/docker").Run())
	if errors.As(err, &ee) || !strings.Contains(err.Error(), `running ["x"] on the node`) {
		t.Errorf("got %v, want a plain error", err)
	}
}
