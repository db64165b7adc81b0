// Command ckat-shim holds one container of a lab node's static pod: the
// node agent runs one per container, as a kubeadm node's containerd runs a
// containerd-shim. It is a small executable of its own, so that the
// processes that wait beside every container cost little memory. It also
// enters a node to run a command there (package nsenter) for ckat, in a
// fraction of the time ckat's own executable takes to start.
package main

import (
	"fmt"
	"os"

	_ "github.com/ckat/ckat/labs/local/nsenter" // runs a command on a node, for ckat
	"github.com/ckat/ckat/labs/local/shim"
)

func main() {
	if code, ok := shim.RunCommand(os.Args[1:]); ok {
		os.Exit(code)
	}
	fmt.Fprintf(os.Stderr, "usage: ckat-shim %s SCRATCH | %s SPEC.json\nckat-shim is run by ckat's node agent, not by hand.\n",
		shim.Command, shim.ContainerCommand)
	os.Exit(2)
}
