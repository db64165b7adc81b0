package app

import (
	"github.com/spf13/cobra"

	"github.com/ckat/ckat/cmd/ckat/app/agent"
	"github.com/ckat/ckat/cmd/ckat/app/delete"
	"github.com/ckat/ckat/cmd/ckat/app/doctor"
	"github.com/ckat/ckat/cmd/ckat/app/exec"
	"github.com/ckat/ckat/cmd/ckat/app/grade"
	"github.com/ckat/ckat/cmd/ckat/app/hint"
	"github.com/ckat/ckat/cmd/ckat/app/kubeconfig"
	"github.com/ckat/ckat/cmd/ckat/app/lab"
	"github.com/ckat/ckat/cmd/ckat/app/labs"
	"github.com/ckat/ckat/cmd/ckat/app/logs"
	"github.com/ckat/ckat/cmd/ckat/app/next"
	"github.com/ckat/ckat/cmd/ckat/app/reset"
	"github.com/ckat/ckat/cmd/ckat/app/scenario"
	"github.com/ckat/ckat/cmd/ckat/app/scenarios"
	"github.com/ckat/ckat/cmd/ckat/app/selftest"
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
func addCommands(root *cobra.Command, streams cli.Streams, logger *log.Logger) {
	root.AddCommand(
		newVersionCommand(streams),
		newNodeCommand(),
		agent.NewCommand(logger),
		agent.NewContainerCommand(),
		doctor.NewCommand(logger, streams),
		lab.NewCommand(logger, streams),
		labs.NewCommand(logger, streams),
		stop.NewCommand(logger, streams),
		delete.NewCommand(logger, streams),
		ssh.NewCommand(logger, streams),
		exec.NewCommand(logger, streams),
		kubeconfig.NewCommand(logger, streams),
		logs.NewCommand(logger, streams),
		scenarios.NewCommand(streams),
		scenario.NewCommand(streams),
		start.NewCommand(logger, streams),
		task.NewCommand(logger, streams),
		next.NewCommand(logger, streams),
		hint.NewCommand(logger, streams),
		solution.NewCommand(logger, streams),
		reset.NewCommand(logger, streams),
		grade.NewCommand(logger, streams),
		selftest.NewCommand(logger, streams),
	)
}
