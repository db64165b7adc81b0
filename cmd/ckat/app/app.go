// Package app is the ckat command tree: the root command, its global flags,
// and the wiring of one package per subcommand.
package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/cmd/ckat/app/advice"
	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
)

// Main runs ckat with args (without the program name) on the process's
// streams and returns the exit status. SIGINT (Ctrl-C) or SIGTERM cancels
// the context every command runs with, so that it stops and cleans up; a
// second one ends ckat at once.
func Main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()
	return Run(ctx, cli.StdStreams(), args)
}

// Run runs ckat with args on the given streams and returns the exit status.
// Every command's context derives from ctx. Errors print as one line
// prefixed "ckat: ", never as a stack trace; a command that ctx's end
// stopped prints "ckat: interrupted: ..." and exits cli.ExitInterrupted.
func Run(ctx context.Context, streams cli.Streams, args []string) int {
	root := NewRootCommand(streams)
	root.SetArgs(args)
	return exitStatus(ctx, streams, root.ExecuteContext(ctx))
}

// exitStatus prints a command's error, if any, and returns the exit status
// it asks for.
func exitStatus(ctx context.Context, streams cli.Streams, err error) int {
	if err == nil {
		return cli.ExitOK
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		msg := strings.TrimSuffix(strings.TrimSpace(err.Error()), ": "+ctx.Err().Error())
		fmt.Fprintf(streams.Err, "ckat: interrupted: %s\n", msg)
		return cli.ExitInterrupted
	}
	var ee *cli.ExitError
	if !(errors.As(err, &ee) && ee.Err == nil) {
		fmt.Fprintf(streams.Err, "ckat: %s\n", strings.TrimSpace(advice.Error(err).Error()))
	}
	code := cli.ExitCode(err)
	if code == cli.ExitOK {
		code = cli.ExitFailed
	}
	return code
}

// NewRootCommand returns the ckat root command with every subcommand.
func NewRootCommand(streams cli.Streams) *cobra.Command {
	var verbosity int
	logger := log.New(streams.Err, 0)
	root := &cobra.Command{
		Use:   "ckat",
		Short: "Practise and grade the CKA's etcd backup and restore on a real control-plane node",
		Long: `ckat gives you a control-plane node that behaves like the CKA exam's, sets an
etcd backup or restore task, and grades your work point by point.

  ckat start etcd-backup-restore   create a lab and print the task
  ckat ssh                         open a shell on the lab's node
  ckat grade                       check your work`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(*cobra.Command, []string) {
			*logger = *log.New(streams.Err, log.Level(verbosity))
		},
	}
	root.SetOut(streams.Out)
	root.SetErr(streams.Err)
	root.SetIn(streams.In)
	root.PersistentFlags().IntVarP(&verbosity, "verbosity", "v", 0, "log verbosity: 0 prints progress, higher prints more detail")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return cli.WithExitCode(cli.ExitCannotRun, fmt.Errorf("%w (see '%s --help')", err, c.CommandPath()))
	})
	addCommands(root, streams, logger)
	return root
}
