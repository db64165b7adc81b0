package app

import (
	"github.com/spf13/cobra"

	"github.com/ckat/ckat/labs/local/node"
)

// newNodeCommand is the hidden command that runs as PID 1 of a local
// lab's node (see node.Init); node.Start runs it.
func newNodeCommand() *cobra.Command {
	return &cobra.Command{
		Use:    node.InitCommand + " LABDIR",
		Short:  "Run as the first process of a local lab's node (started by ckat)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return node.Init(args)
		},
	}
}
