// Package agent holds the hidden commands a lab's node runs: `__agent`,
// the node agent started by the node's PID 1, `__shim`, which holds one
// container, and `__container`, which the shim runs to start the container
// in its own mount namespace.
package agent

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/ckat/ckat/internal/log"
	nodeagent "github.com/ckat/ckat/labs/local/agent"
	"github.com/ckat/ckat/labs/local/shim"
)

// NewCommand returns the hidden `__agent CONFIG.json` command. It runs
// until SIGTERM or SIGINT (the root's context ends), then stops the node's
// static pods.
func NewCommand(logger *log.Logger) *cobra.Command {
	return &cobra.Command{
		Use:    "__agent CONFIG.json",
		Short:  "Run a lab node's static pods (started by the node itself)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := nodeagent.ReadConfig(args[0])
			if err != nil {
				return err
			}
			return nodeagent.Run(cmd.Context(), cfg, logger)
		},
	}
}

// NewShimCommand returns the hidden `__shim SCRATCH` command, which holds
// one container's output and exit status while the container runs. The
// node agent runs ckat-shim for it where that executable is installed
// beside ckat, and ckat itself otherwise.
func NewShimCommand() *cobra.Command {
	return &cobra.Command{
		Use:    shim.Command + " SCRATCH",
		Short:  "Hold one container of a static pod (run by the node agent)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return shim.Main(args[0])
		},
	}
}

// NewContainerCommand returns the hidden `__container SPEC.json` command,
// which becomes the container's process or fails saying why.
func NewContainerCommand() *cobra.Command {
	return &cobra.Command{
		Use:    shim.ContainerCommand + " SPEC.json",
		Short:  "Start one container of a static pod (run by the node agent)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			err := shim.ContainerMain(args[0])
			if err == nil {
				os.Exit(0)
			}
			return err
		},
	}
}
