// Command ckat is a CKA exam trainer and grader for etcd backup and restore.
//
// ckat is a multi-call binary: invoked as etcd, etcdctl, etcdutl, kubectl or
// crictl (through a symlink of that name) it runs the upstream command, so a
// lab's node carries the real tools without anything else installed; as
// kubelet, systemctl or journalctl it is the node's kubelet and service
// manager.
package main

import (
	"os"
	"path/filepath"

	"github.com/ckat/ckat/cmd/ckat/app"
	"github.com/ckat/ckat/cmd/ckat/app/agent"
	"github.com/ckat/ckat/internal/multicall"
	// Joins a lab node's namespaces before the runtime starts when asked
	// to (ckat exec, ckat ssh, the grader's node commands).
	_ "github.com/ckat/ckat/labs/local/nsenter"
)

func main() {
	name := filepath.Base(os.Args[0])
	if multicall.Run(name) {
		return
	}
	if code, ok := agent.RunNodeTool(name, os.Args[1:]); ok {
		os.Exit(code)
	}
	os.Exit(app.Main(os.Args[1:]))
}
