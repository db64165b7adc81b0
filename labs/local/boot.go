package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"time"

	layout "github.com/ckat/ckat/internal/kubeadm"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs/local/kubeadm"
	"github.com/ckat/ckat/labs/local/node"
)

// boot starts a lab's node from its files and waits until its API server
// is ready: it listens on two host ports (the ones st had, when still
// free), starts the node, saves the new state, writes run/kubeconfig,
// waits for /readyz, and when first is set runs kubeadm's bootstrap and
// waits for the static pods' mirror pods (bootstrap). A
// restarted node (first unset) whose API server manifest is not in place
// is not waited for. If the API server does not become ready, boot prints
// the static pods' status and the last lines of their logs and returns an
// error with the node still running.
func (p *Provider) boot(ctx context.Context, step *steps, name, dir string, st state, ckat string, wait time.Duration, first bool) (state, error) {
	step.start("Starting node")
	apiLn, err := listenLocal(st.APIPort)
	if err != nil {
		step.end(false)
		return st, fmt.Errorf("listening on 127.0.0.1 for the API server: %w", err)
	}
	defer apiLn.Close()
	etcdLn, err := listenLocal(st.EtcdPort)
	if err != nil {
		step.end(false)
		return st, fmt.Errorf("listening on 127.0.0.1 for etcd: %w", err)
	}
	defer etcdLn.Close()

	logFile := filepath.Join(dir, "run", "node.log")
	pid, err := node.Start(node.Options{
		LabDir:            dir,
		NodeName:          NodeName,
		NodeIP:            st.NodeIP,
		CkatPath:          ckat,
		KubeAPIServerPath: st.KubeAPIServer,
		APIListener:       apiLn,
		EtcdListener:      etcdLn,
		LogFile:           logFile,
	})
	if err != nil {
		step.end(false)
		printTail(p.logger, "the node's log ("+logFile+")", logFile, 15)
		return st, fmt.Errorf("starting the node: %w", err)
	}
	st.PID = pid
	st.APIPort = apiLn.Addr().(*net.TCPAddr).Port
	st.EtcdPort = etcdLn.Addr().(*net.TCPAddr).Port
	st.Stopped = false
	if start, _, err := procStartTime(pid); err == nil {
		st.PIDStartTime = start
	}
	if ns, err := pidNamespace(pid); err == nil {
		st.PIDNamespace = ns
	}
	if err := writeState(dir, st); err != nil {
		step.end(false)
		return st, err
	}
	step.end(true)

	root := filepath.Join(dir, "node")
	server := apiServerURL(st.APIPort)
	admin, err := kubeadm.AdminKubeconfig(root, server)
	if err != nil {
		return st, fmt.Errorf("reading the node's admin.conf: %w", err)
	}
	if err := os.WriteFile(kubeconfigPath(dir), admin, 0o600); err != nil {
		return st, fmt.Errorf("writing the lab's kubeconfig: %w", err)
	}

	if !first {
		// A learner may stop a lab mid-task with the API server's manifest
		// moved out; the node is up, and there is nothing to wait for.
		if _, err := node.New(NodeName, st.PID).Stat(ctx, layout.APIServerManifest); errors.Is(err, fs.ErrNotExist) {
			p.logger.V(0).Infof(" • %s is not there: not waiting for the API server", layout.APIServerManifest)
			return st, nil
		}
	}
	step.start("Waiting for the API server")
	deadline := time.Now().Add(wait)
	if err := waitReady(ctx, admin, st, wait); err != nil {
		step.end(false)
		if ctx.Err() == nil {
			p.printDiagnostics(ctx, st, logFile)
		}
		return st, err
	}
	if first {
		if err := p.bootstrap(ctx, root, server, st, deadline); err != nil {
			step.end(false)
			if ctx.Err() == nil {
				p.printDiagnostics(ctx, st, logFile)
			}
			return st, err
		}
	}
	step.end(true)
	return st, nil
}

// bootstrap does what kubeadm init does once the API server is ready
// (kubeadm.Bootstrap), then waits until the API server lists every static
// pod's mirror pod, as a kubeadm cluster's does when init returns; both by
// deadline.
func (p *Provider) bootstrap(ctx context.Context, root, server string, st state, deadline time.Time) error {
	superAdmin, err := superAdminConfig(root, server)
	if err != nil {
		return err
	}
	bctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	if err := kubeadm.Bootstrap(bctx, superAdmin, NodeName); err != nil {
		return fmt.Errorf("bootstrapping the cluster as kubeadm init does: %w", err)
	}
	return waitMirrorPods(ctx, node.New(NodeName, st.PID), superAdmin, deadline)
}

// listenLocal listens on the host's 127.0.0.1, on port if it is free (so
// a restarted lab keeps its address), else on any free port.
func listenLocal(port int) (*net.TCPListener, error) {
	if port > 0 {
		if ln, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}); err == nil {
			return ln, nil
		}
	}
	return net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
}

// steps prints a lab's progress as kind does: " ✓ step" once done.
type steps struct {
	logger  *log.Logger
	current string
}

func (p *Provider) newSteps() *steps { return &steps{logger: p.logger} }

func (s *steps) start(name string) {
	s.current = name
	s.logger.V(1).Infof(" • %s ...", name)
}

func (s *steps) end(ok bool) {
	if s.current == "" {
		return
	}
	mark := "✓"
	if !ok {
		mark = "✗"
	}
	s.logger.V(0).Infof(" %s %s", mark, s.current)
	s.current = ""
}
