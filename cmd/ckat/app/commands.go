package app

import (
	"github.com/spf13/cobra"

	"github.com/ckat/ckat/cmd/ckat/app/agent"
	"github.com/ckat/ckat/cmd/ckat/app/delete"
	"github.com/ckat/ckat/cmd/ckat/app/doctor"
	"github.com/ckat/ckat/cmd/ckat/app/exec"
	"github.com/ckat/ckat/cmd/ckat/app/kubeconfig"
	"github.com/ckat/ckat/cmd/ckat/app/lab"
	"github.com/ckat/ckat/cmd/ckat/app/labs"
	"github.com/ckat/ckat/cmd/ckat/app/ssh"
	"github.com/ckat/ckat/cmd/ckat/app/stop"
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
	)
}
