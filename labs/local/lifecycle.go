package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/ckat/ckat/internal/readyz"
	"github.com/ckat/ckat/labs"
)

// stopGrace is how long Stop lets the node shut its static pods down
// before it kills them.
const stopGrace = 30 * time.Second

// A node ends gracefully when it is stopped, as a machine shuts down: its
// processes get SIGTERM and time to exit (kube-apiserver drains for about
// 12 s, etcd waits about 7 s for its clients' streams). A node whose lab
// is deleted keeps nothing, so it is killed at once.
const (
	graceful = true
	atOnce   = false
)

// Start starts a stopped or dead lab again with its data. Its ports may
// change; run/kubeconfig is rewritten. Starting a running lab does
// nothing.
func (p *Provider) Start(ctx context.Context, name string) error {
	l, err := p.open(name)
	if err != nil {
		return err
	}
	unlock, err := lockLab(l.dir)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := readState(l.dir)
	if err != nil {
		return fmt.Errorf("lab %q: %w", name, err)
	}
	if st.running() {
		p.logger.V(0).Infof("Lab %q is already running", name)
		return nil
	}
	if st.NodeIP == "" {
		return labs.WithRemedy(fmt.Errorf("lab %q was never fully created", name), labs.RemedyDelete, name)
	}
	ckat, err := p.ckatExecutable()
	if err != nil {
		return err
	}
	if st.KubeAPIServer, err = p.kubeAPIServerFor(st, ckat); err != nil {
		return err
	}
	p.logger.V(0).Infof("Starting lab %q ...", name)
	st, err = p.boot(ctx, p.newSteps(), name, l.dir, st, ckat, readyz.LabTimeout, false)
	if err != nil {
		if st.running() {
			// The node is up and keeps the learner's work; what fails is
			// in its static pods, which the learner may be fixing.
			return fmt.Errorf("lab %q is running, but %w", name, err)
		}
		return fmt.Errorf("starting lab %q: %w", name, err)
	}
	p.logger.V(0).Infof("Lab %q is running", name)
	return nil
}

// kubeAPIServerFor picks the API server a restarted lab runs: the one
// given to the provider, else the one it was created with while it
// exists, else the usual search.
func (p *Provider) kubeAPIServerFor(st state, ckat string) (string, error) {
	if p.kubeAPIServer == "" && st.KubeAPIServer != "" {
		if path, err := checkExecutable(st.KubeAPIServer, "the lab's state"); err == nil {
			return path, nil
		}
	}
	return findKubeAPIServer(p.kubeAPIServer, ckat)
}

// Stop stops a lab's node, keeping its data. Stopping a lab that does not
// run marks it stopped.
func (p *Provider) Stop(_ context.Context, name string) error {
	l, err := p.open(name)
	if err != nil {
		return err
	}
	unlock, err := lockLab(l.dir)
	if err != nil {
		return err
	}
	defer unlock()
	return p.stop(l, graceful)
}

// stop stops a locked lab's node, gracefully or at once, and marks it
// stopped.
func (p *Provider) stop(l *lab, gracefully bool) error {
	st, err := readState(l.dir)
	if err != nil {
		return fmt.Errorf("lab %q: %w", l.name, err)
	}
	if st.running() {
		p.logger.V(0).Infof("Stopping lab %q ...", l.name)
		if err := stopNode(st, gracefully); err != nil {
			return fmt.Errorf("stopping lab %q: %w", l.name, err)
		}
	}
	if !st.Stopped {
		st.Stopped = true
		if err := writeState(l.dir, st); err != nil {
			return err
		}
	}
	return nil
}

// Delete stops a lab and removes its directory. It refuses a directory
// ckat did not create (no lab.json) and a lab directory that is a symlink,
// before stopping anything.
func (p *Provider) Delete(_ context.Context, name string) error {
	if err := checkLabDir(name); err != nil {
		return err
	}
	l, err := p.open(name)
	if err != nil {
		return err
	}
	unlock, err := lockLab(l.dir)
	if err != nil {
		return err
	}
	defer unlock()
	if err := p.stop(l, atOnce); err != nil {
		return err
	}
	if err := labs.RemoveDir(name); err != nil {
		return err
	}
	p.logger.V(0).Infof("Deleted lab %q", name)
	return nil
}

// checkLabDir refuses what labs.RemoveDir refuses, without removing
// anything: a lab directory that is not a plain directory, or that has no
// lab.json.
func checkLabDir(name string) error {
	dir, err := labs.Dir(name)
	if err != nil {
		return err
	}
	fi, err := os.Lstat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return labs.WithRemedy(fmt.Errorf("%w: no lab called %q", labs.ErrNotFound, name), labs.RemedyList, "")
	}
	if err != nil {
		return err
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		return fmt.Errorf("refusing to delete %s: not a directory ckat created (it is a symlink)", dir)
	}
	if !fi.IsDir() {
		return fmt.Errorf("refusing to delete %s: not a directory ckat created", dir)
	}
	if rfi, err := os.Lstat(dir + "/lab.json"); err != nil || !rfi.Mode().IsRegular() {
		return fmt.Errorf("refusing to delete %s: it has no lab.json, so ckat did not create it", dir)
	}
	return nil
}

// stopNode ends a node: SIGCONT to all its processes (it may be
// frozen), then, gracefully, SIGTERM to its PID 1, which stops the static
// pods and exits, and SIGKILL after stopGrace; at once, SIGKILL straight
// away. The kernel ends every other process of the node's PID namespace
// with its PID 1 (pid_namespaces(7)); stopNode checks that none is left.
func stopNode(st state, gracefully bool) error {
	ns := st.PIDNamespace
	if ns == "" {
		ns, _ = pidNamespace(st.PID)
	}
	if ns != "" {
		// A frozen node (Freeze) handles SIGTERM only once it runs again.
		_ = thawNamespace(ns)
	}
	sig, grace := syscall.SIGTERM, stopGrace
	if !gracefully {
		sig, grace = syscall.SIGKILL, 0
	}
	if err := syscall.Kill(st.PID, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signalling the node (PID %d): %w", st.PID, err)
	}
	if !waitGone(st, grace) {
		if st.running() {
			_ = syscall.Kill(st.PID, syscall.SIGKILL)
		}
		if !waitGone(st, 10*time.Second) {
			return fmt.Errorf("the node (PID %d) did not exit after SIGKILL", st.PID)
		}
	}
	if ns == "" {
		return nil
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := ProcessesInNamespace(ns)
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %v of the node are still running after its PID 1 exited", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitGone waits up to d for the node's PID 1 to exit.
func waitGone(st state, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for st.running() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}
