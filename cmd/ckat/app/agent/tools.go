package agent

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ckat/ckat/internal/log"
	nodeagent "github.com/ckat/ckat/labs/local/agent"
	"github.com/ckat/ckat/labs/local/node"
	"github.com/ckat/ckat/labs/local/systemd"
)

// NodeTools are the names ckat answers to on a lab's node besides the
// upstream tools: the kubelet, and systemd's systemctl and journalctl.
var NodeTools = []string{"kubelet", "systemctl", "journalctl"}

// RunNodeTool runs the node tool called name with args and returns its
// exit status; ok is false for any other name.
func RunNodeTool(name string, args []string) (code int, ok bool) {
	switch name {
	case "systemctl":
		return systemd.Systemctl(args, os.Stdout, os.Stderr), true
	case "journalctl":
		return systemd.Journalctl(args, os.Stdout, os.Stderr), true
	case "kubelet":
		return runKubelet(args), true
	}
	return 0, false
}

// runKubelet runs the node agent as the kubelet until SIGTERM or SIGINT.
// Its errors end it as the kubelet's do: logged by klog as "command
// failed" (k8s.io/component-base/cli, run), exit status 1.
func runKubelet(args []string) int {
	// ps and systemctl show the process as the kubelet, not as ckat.
	_ = os.WriteFile("/proc/self/comm", []byte("kubelet"), 0)
	logger := log.NewKlog(os.Stderr, 1)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := nodeagent.KubeletMain(ctx, args, node.AgentConfigFile, os.Stdout, logger); err != nil {
		logger.Errorf("\"command failed\" err=%q", err.Error())
		return 1
	}
	return 0
}
