package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/crilog"
	"github.com/ckat/ckat/internal/kubeadm"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs/local/agent"
	"github.com/ckat/ckat/labs/local/cri"
	"github.com/ckat/ckat/labs/local/systemd"
)

// stopTimeout is how long PID 1 waits for the agent after SIGTERM.
var stopTimeout = 20 * time.Second

// Inherited file descriptors (see Start).
const (
	apiListenerFD  = 3
	etcdListenerFD = 4
	readyFD        = 5
)

// Init is the body of the hidden `ckat __node LABDIR` command: it runs as
// PID 1 of the namespaces Start creates, sets the node up, reports on its
// ready pipe, then forwards the host ports, reaps orphans and, as systemd
// does, runs the kubelet's unit (the node agent, restarted 10 s after it
// exits) until SIGTERM stops the node.
func Init(args []string) error {
	if len(args) != 1 {
		return cli.WithExitCode(cli.ExitCannotRun, errors.New("usage: ckat __node LABDIR (ckat starts this itself)"))
	}
	if os.Getpid() != 1 {
		return cli.WithExitCode(cli.ExitCannotRun, errors.New("ckat __node runs only as the first process of a lab node's namespaces (ckat starts it)"))
	}
	logger := log.New(os.Stderr, 1)
	// The inherited descriptors must not leak into the agent: PID 1's
	// closing the ready pipe is what tells Start the node is up.
	for _, fd := range []int{apiListenerFD, etcdListenerFD, readyFD} {
		unix.CloseOnExec(fd)
	}
	ready := os.NewFile(readyFD, "ready")
	fail := func(err error) error {
		if ready != nil {
			fmt.Fprintf(ready, "%s\n", err)
			ready.Close()
		}
		return err
	}
	labDir, err := filepath.Abs(args[0])
	if err != nil {
		return fail(err)
	}
	cfg, err := readConfig(labDir)
	if err != nil {
		return fail(err)
	}
	apiLn, err := inheritedListener(apiListenerFD, "API server")
	if err != nil {
		return fail(err)
	}
	etcdLn, err := inheritedListener(etcdListenerFD, "etcd")
	if err != nil {
		return fail(err)
	}
	if err := setupNode(labDir, cfg); err != nil {
		return fail(fmt.Errorf("setting up node %s: %w", cfg.NodeName, err))
	}
	go forward(apiLn, net.JoinHostPort(kubeadm.LoopbackAddress, strconv.Itoa(kubeadm.KubeAPIServerPort)), logger)
	go forward(etcdLn, net.JoinHostPort(kubeadm.LoopbackAddress, strconv.Itoa(kubeadm.EtcdListenClientPort)), logger)

	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, unix.SIGCHLD, unix.SIGTERM, unix.SIGINT, unix.SIGHUP)
	m, err := startKubelet(cfg)
	if err != nil {
		return fail(err)
	}
	logger.V(0).Infof("node %s is up (%s)", cfg.NodeName, cfg.NodeIP)
	if ready != nil {
		fmt.Fprintln(ready, readyOK)
		ready.Close()
		ready = nil
	}
	return supervise(m, sigs, logger)
}

// supervise reaps every child, telling the service manager of its own,
// until SIGTERM: then it stops the kubelet, sends every process of the
// node SIGTERM, as a machine's shutdown does, and returns once they have
// exited, or stopTimeout after SIGTERM.
func supervise(m *systemd.Manager, sigs <-chan os.Signal, logger *log.Logger) error {
	var deadline <-chan time.Time
	stopped := make(chan error, 1)
	draining := false // the kubelet is gone and every process has had SIGTERM
	for {
		select {
		case <-deadline:
			logger.Warnf("the node's processes did not stop within %s; stopping every process of the node", stopTimeout)
			return cli.WithExitCode(cli.ExitFailed, nil)
		case err := <-stopped:
			if err != nil {
				logger.Warnf("the kubelet did not stop within %s; stopping every process of the node", stopTimeout/2)
				return cli.WithExitCode(cli.ExitFailed, nil)
			}
			logger.V(0).Infof("the kubelet has stopped; stopping the node's other processes")
			draining = true
			_ = unix.Kill(-1, unix.SIGTERM)
			if reapAll(m) {
				return nil
			}
		case sig := <-sigs:
			switch sig {
			case unix.SIGCHLD:
				if reapAll(m) && draining {
					return nil
				}
			case unix.SIGTERM, unix.SIGINT:
				if deadline == nil {
					logger.V(0).Infof("stopping: %s to the kubelet", sig)
					deadline = time.After(stopTimeout)
					// Half the time for the kubelet, half for the rest.
					go func() { stopped <- m.Stop(stopTimeout / 2) }()
				}
			}
		}
	}
}

// reapAll collects every exited child and reports whether none is left.
func reapAll(m *systemd.Manager) (none bool) {
	for {
		var ws unix.WaitStatus
		var ru unix.Rusage
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, &ru)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if errors.Is(err, unix.ECHILD) {
			return true
		}
		if err != nil || pid <= 0 {
			return false
		}
		m.Reaped(pid, ws, &ru)
	}
}

// startKubelet writes the agent's base configuration, loads the kubelet's
// unit and starts it as systemd starts an enabled unit at boot. A unit
// that cannot be loaded leaves the node up without a kubelet, as on a
// machine whose unit file is gone.
func startKubelet(cfg config) (*systemd.Manager, error) {
	ac := agent.Config{
		NodeName:       cfg.NodeName,
		NodeIP:         cfg.NodeIP,
		ManifestDir:    kubeadm.ManifestsDir,
		PodLogDir:      crilog.PodLogsDir,
		StatusFile:     PodStatusFile,
		ContainerDir:   "/run/ckat/containers",
		Kubeconfig:     kubeadm.KubeletConf,
		Binaries:       binaries(),
		KeepPodsOnExit: true,
	}
	// The agent is the node's container runtime too (package cri).
	ac.ContainerLogDir, ac.CRISocket = crilog.ContainerLogsDir, cri.Socket
	if err := ac.Validate(); err != nil {
		return nil, err
	}
	data, err := json.MarshalIndent(ac, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(AgentConfigFile, append(data, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("writing the agent's configuration: %w", err)
	}
	m := &systemd.Manager{Binary: CkatBin, BaseEnv: nodeEnv(cfg.NodeName), Journal: systemd.NewJournal(systemd.JournalFile), Log: os.Stderr}
	if err := m.Serve(); err != nil {
		return nil, err
	}
	if err := m.Load(); err != nil {
		fmt.Fprintf(os.Stderr, "systemd: %v\n", err)
		return m, nil
	}
	if err := m.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "systemd: %v\n", err)
	}
	return m, nil
}

// binaries maps each command a static pod may run to its executable in
// the node: the Tools to ckat, the KubeCommands to the kube-apiserver
// executable (ckat's build runs each by its name).
func binaries() map[string]string {
	m := map[string]string{}
	for _, t := range Tools {
		m[t] = CkatBin
	}
	for _, c := range KubeCommands {
		m[c] = KubeAPIServerBin
	}
	return m
}

// nodeEnv is the environment of processes PID 1 starts.
func nodeEnv(nodeName string) []string {
	return []string{"PATH=" + Path, "HOME=" + Home, "KUBECONFIG=" + Kubeconfig, "HOSTNAME=" + nodeName}
}

// inheritedListener returns the TCP listener passed as fd.
func inheritedListener(fd uintptr, what string) (net.Listener, error) {
	f := os.NewFile(fd, what)
	if f == nil {
		return nil, fmt.Errorf("no %s listener on fd %d", what, fd)
	}
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("the %s listener on fd %d: %w", what, fd, err)
	}
	return ln, nil
}
