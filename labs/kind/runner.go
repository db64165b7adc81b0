package kind

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"

	"sigs.k8s.io/kind/pkg/cluster/nodes"
	kindexec "sigs.k8s.io/kind/pkg/exec"

	"github.com/ckat/ckat/labs"
)

// nodeRunner runs one command in a node container. It is the only seam
// between ckat and the container engine that tests replace.
type nodeRunner interface {
	// run runs cmd.Args in the node; a command that ran and exited
	// non-zero returns a *labs.ExitError.
	run(ctx context.Context, cmd labs.Command) error
}

// containerRunner runs commands in a kind node container: through kind's
// nodes.Node, or through the engine client for an interactive terminal,
// which kind's exec does not offer.
type containerRunner struct {
	engine string
	node   nodes.Node
}

func (r containerRunner) run(ctx context.Context, cmd labs.Command) error {
	if len(cmd.Args) == 0 {
		return errors.New("no command to run")
	}
	if cmd.TTY {
		return r.runTTY(ctx, cmd)
	}
	args := cmd.Args
	if cmd.Dir != "" {
		args = withDir(cmd.Dir, args)
	}
	c := r.node.CommandContext(ctx, args[0], args[1:]...)
	if len(cmd.Env) > 0 {
		c.SetEnv(cmd.Env...)
	}
	if cmd.Stdin != nil {
		c.SetStdin(cmd.Stdin)
	}
	// kind's exec keeps a copy of the output for its errors; give it
	// somewhere to write when the caller does not care.
	c.SetStdout(orDiscard(cmd.Stdout))
	c.SetStderr(orDiscard(cmd.Stderr))
	return exitError(cmd.Args, c.Run())
}

// runTTY runs `ENGINE exec -it` with the process's terminal.
func (r containerRunner) runTTY(ctx context.Context, cmd labs.Command) error {
	c := exec.CommandContext(ctx, r.engine, ttyExecArgs(r.node.String(), cmd)...)
	c.Stdin, c.Stdout, c.Stderr = cmd.Stdin, cmd.Stdout, cmd.Stderr
	return exitError(cmd.Args, c.Run())
}

// ttyExecArgs are the engine client's arguments for an interactive command.
func ttyExecArgs(container string, cmd labs.Command) []string {
	args := []string{"exec", "--privileged", "-i", "-t"}
	if cmd.Dir != "" {
		args = append(args, "-w", cmd.Dir)
	}
	for _, e := range cmd.Env {
		args = append(args, "-e", e)
	}
	args = append(args, container)
	return append(args, cmd.Args...)
}

// withDir wraps args so that they run in dir. dir and args travel as
// positional parameters, never as shell text.
func withDir(dir string, args []string) []string {
	return append([]string{"sh", "-c", `cd -- "$1" && shift && exec "$@"`, "sh", dir}, args...)
}

// exitError turns a failed run into *labs.ExitError when the command ran
// and exited non-zero, keeping other errors as they are.
func exitError(args []string, err error) error {
	if err == nil {
		return nil
	}
	var runErr *kindexec.RunError
	if errors.As(err, &runErr) {
		err = runErr.Inner
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() > 0 {
		return &labs.ExitError{Args: args, Code: ee.ExitCode()}
	}
	return fmt.Errorf("running %q on the node: %w", args, err)
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
