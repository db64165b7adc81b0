package grader

import (
	"k8s.io/client-go/rest"

	"github.com/ckat/ckat/labs"
)

// Target is what a check looks at: a lab's control-plane node (its files and
// commands) and an admin REST config for its API server.
type Target struct {
	// Lab is the lab's name, for reports.
	Lab string
	// Node is the lab's control-plane node.
	Node labs.Node
	// RESTConfig reaches the lab's API server from the host.
	RESTConfig *rest.Config
}
