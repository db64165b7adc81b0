package app

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/cmd/ckat/app/agent"
	"github.com/ckat/ckat/cmd/ckat/app/class"
	"github.com/ckat/ckat/cmd/ckat/app/delete"
	"github.com/ckat/ckat/cmd/ckat/app/doctor"
	"github.com/ckat/ckat/cmd/ckat/app/exec"
	"github.com/ckat/ckat/cmd/ckat/app/grade"
	"github.com/ckat/ckat/cmd/ckat/app/hint"
	"github.com/ckat/ckat/cmd/ckat/app/kubeconfig"
	"github.com/ckat/ckat/cmd/ckat/app/lab"
	"github.com/ckat/ckat/cmd/ckat/app/logs"
	"github.com/ckat/ckat/cmd/ckat/app/next"
	"github.com/ckat/ckat/cmd/ckat/app/reset"
	"github.com/ckat/ckat/cmd/ckat/app/scenario"
	"github.com/ckat/ckat/cmd/ckat/app/selftest"
	"github.com/ckat/ckat/cmd/ckat/app/serve"
	"github.com/ckat/ckat/cmd/ckat/app/solution"
	"github.com/ckat/ckat/cmd/ckat/app/ssh"
	"github.com/ckat/ckat/cmd/ckat/app/start"
	"github.com/ckat/ckat/cmd/ckat/app/stop"
	"github.com/ckat/ckat/cmd/ckat/app/task"
	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
)

// addCommands wires every subcommand package into root. Each package's
// NewCommand takes the logger and streams and returns its cobra command.
//
// The surface: a learner's scenario is `ckat start SCENARIO` (create its
// lab, or start it again), `ckat stop`, `ckat delete`, and the commands
// that work on it (task, ssh, grade, ...). Labs by name are `ckat lab
// create|start|stop|delete|list`; scenarios are `ckat scenario
// list|show|lint|guide`; workshops are `ckat class
// create|list|status|report|restart|delete`.
func addCommands(root *cobra.Command, streams cli.Streams, logger *log.Logger) {
	root.AddCommand(
		newVersionCommand(streams),
		newNodeCommand(),
		agent.NewCommand(logger),
		agent.NewContainerCommand(),
		agent.NewShimCommand(),
		doctor.NewCommand(logger, streams),
		lab.NewCommand(logger, streams),
		stop.NewCommand(logger, streams),
		delete.NewCommand(logger, streams),
		ssh.NewCommand(logger, streams),
		exec.NewCommand(logger, streams),
		kubeconfig.NewCommand(logger, streams),
		logs.NewCommand(logger, streams),
		scenario.NewCommand(streams),
		start.NewCommand(logger, streams),
		task.NewCommand(logger, streams),
		next.NewCommand(logger, streams),
		hint.NewCommand(logger, streams),
		solution.NewCommand(logger, streams),
		reset.NewCommand(logger, streams),
		grade.NewCommand(logger, streams),
		selftest.NewCommand(logger, streams),
		class.NewCommand(logger, streams),
		serve.NewCommand(logger, streams),
		// Earlier spellings, kept for learners' notes and scripts.
		renamed("labs", "ckat lab list", lab.NewListCommand(streams), streams),
		renamed("scenarios", "ckat scenario list", scenario.NewListCommand(streams), streams),
	)
}

// renamed returns cmd under its earlier name old: hidden from help, working
// as before, and saying on stderr what it is called now.
func renamed(old, now string, cmd *cobra.Command, streams cli.Streams) *cobra.Command {
	cmd.Use = old + strings.TrimPrefix(cmd.Use, cmd.Name())
	cmd.Aliases = nil
	cmd.Hidden = true
	cmd.Short += " (now '" + now + "')"
	run := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) error {
		fmt.Fprintf(streams.Err, "ckat: '%s' is now '%s'\n", c.CommandPath(), now)
		return run(c, args)
	}
	return cmd
}
