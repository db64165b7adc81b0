package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/labs/local/nsenter"
	"github.com/ckat/ckat/labs/local/shim"
)

// cannotEnter is the status the nsenter constructor exits with when it
// cannot join the node.
const cannotEnter = 125

// Exec runs a command on the node as root with the node's environment:
// ckat-shim beside the current executable (or the current executable
// itself) is started with nsenter's variable set, joins the node's
// namespaces before its Go runtime starts, and execs the command. With TTY set the command gets this process's terminal, and
// this process ignores the terminal's signals meanwhile. Cancelling ctx
// sends the command SIGTERM, then SIGKILL 5 s later.
func (v *view) Exec(ctx context.Context, c labs.Command) error {
	if len(c.Args) == 0 {
		return errors.New("no command to run on the node")
	}
	if err := v.check(); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding ckat's executable: %w", err)
	}
	// ckat-shim, beside ckat, enters the node as ckat does, and starts
	// in about 1 ms of CPU where ckat's executable takes 9 (`ckat exec
	// -- true` took 38 ms of CPU with it, 46 ms without).
	if s := shim.Find(filepath.Dir(self)); s != "" {
		self = s
	}
	cmd := exec.CommandContext(ctx, self, nsenter.ExecArgs(c.Dir, c.Env, c.Args)...)
	cmd.Env = []string{nsenter.EnvVar + "=" + strconv.Itoa(v.pid)}
	if term, ok := os.LookupEnv("TERM"); ok {
		cmd.Env = append(cmd.Env, "TERM="+term)
	}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	if c.TTY {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		sigs := make(chan os.Signal, 4)
		signal.Notify(sigs, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTSTP)
		defer signal.Stop(sigs)
	} else {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = c.Stdin, c.Stdout, c.Stderr
	}
	err = cmd.Run()
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("running %q on node %s: %w", c.Args[0], v.name, ctx.Err())
	}
	if errors.Is(err, exec.ErrWaitDelay) {
		// The command succeeded but left a process holding its output
		// open (a daemon it started); what it wrote so far is copied.
		return nil
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		if err != nil {
			return fmt.Errorf("running %q on node %s: %w", c.Args[0], v.name, err)
		}
		return nil
	}
	code := ee.ExitCode()
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		code = 128 + int(ws.Signal())
	}
	if code == cannotEnter {
		if err := v.check(); err != nil {
			return err
		}
	}
	return &labs.ExitError{Args: c.Args, Code: code}
}
