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
)

// AgentCommand is the hidden ckat command PID 1 runs as the node agent.
const AgentCommand = "__agent"

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
// ready pipe, then forwards the host ports, reaps orphans and runs the
// agent until the agent exits or SIGTERM stops it. It returns the agent's
// exit status as a *cli.ExitError.
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
	agentPID, err := startAgent(cfg)
	if err != nil {
		return fail(err)
	}
	logger.V(0).Infof("node %s is up (%s); agent pid %d", cfg.NodeName, cfg.NodeIP, agentPID)
	if ready != nil {
		fmt.Fprintln(ready, readyOK)
		ready.Close()
		ready = nil
	}
	return supervise(agentPID, sigs, logger)
}

// supervise reaps every child, forwards SIGTERM to the agent and returns
// once the agent has exited, or stopTimeout after SIGTERM.
func supervise(agentPID int, sigs <-chan os.Signal, logger *log.Logger) error {
	var deadline <-chan time.Time
	for {
		select {
		case <-deadline:
			logger.Warnf("the agent did not stop within %s; stopping every process of the node", stopTimeout)
			return cli.WithExitCode(cli.ExitFailed, nil)
		case sig := <-sigs:
			switch sig {
			case unix.SIGCHLD:
				if status, done := reap(agentPID); done {
					return exitStatus(status, logger)
				}
			case unix.SIGTERM, unix.SIGINT:
				if deadline == nil {
					logger.V(0).Infof("stopping: %s to the agent", sig)
					_ = unix.Kill(agentPID, unix.SIGTERM)
					deadline = time.After(stopTimeout)
				}
			}
		}
	}
}

// reap collects every exited child; done says whether the agent was one.
func reap(agentPID int) (status unix.WaitStatus, done bool) {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return status, done
		}
		if pid == agentPID {
			status, done = ws, true
		}
	}
}

// exitStatus turns the agent's wait status into Init's result.
func exitStatus(ws unix.WaitStatus, logger *log.Logger) error {
	code := ws.ExitStatus()
	if ws.Signaled() {
		code = 128 + int(ws.Signal())
		logger.V(0).Infof("the agent was killed by %s", ws.Signal())
	} else {
		logger.V(0).Infof("the agent exited with status %d", code)
	}
	if code == 0 {
		return nil
	}
	return cli.WithExitCode(code, nil)
}

// startAgent writes the agent's configuration and starts it as PID 1's
// child. Its process is reaped by reap, never by os.Process.Wait.
func startAgent(cfg config) (int, error) {
	ac := agent.Config{
		NodeName:     cfg.NodeName,
		NodeIP:       cfg.NodeIP,
		ManifestDir:  kubeadm.ManifestsDir,
		PodLogDir:    crilog.PodLogsDir,
		StatusFile:   AgentStatusFile,
		ContainerDir: "/run/ckat/containers",
		Kubeconfig:   kubeadm.KubeletConf,
		Binaries:     binaries(),
	}
	if err := ac.Validate(); err != nil {
		return 0, err
	}
	data, err := json.MarshalIndent(ac, "", "  ")
	if err != nil {
		return 0, err
	}
	if err := os.WriteFile(AgentConfigFile, append(data, '\n'), 0o644); err != nil {
		return 0, fmt.Errorf("writing the agent's configuration: %w", err)
	}
	proc, err := os.StartProcess(CkatBin, []string{"ckat", AgentCommand, AgentConfigFile}, &os.ProcAttr{
		Dir:   "/",
		Env:   nodeEnv(cfg.NodeName),
		Files: []*os.File{os.Stdin, os.Stdout, os.Stderr},
	})
	if err != nil {
		return 0, fmt.Errorf("starting the agent: %w", err)
	}
	pid := proc.Pid
	_ = proc.Release()
	return pid, nil
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
