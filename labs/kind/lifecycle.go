package kind

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ckat/ckat/internal/readyz"
	"github.com/ckat/ckat/labs"
)

// Stop stops the lab's node containers, keeping their data.
func (p *Provider) Stop(ctx context.Context, name string) error {
	return p.startStop(ctx, name, "stop")
}

// Start starts a stopped lab's node containers and waits for its API
// server.
func (p *Provider) Start(ctx context.Context, name string) error {
	if err := p.startStop(ctx, name, "start"); err != nil {
		return err
	}
	l, err := p.open(name)
	if err != nil {
		return err
	}
	return l.waitReady(ctx, readyz.LabTimeout)
}

func (p *Provider) startStop(ctx context.Context, name, verb string) error {
	l, err := p.open(name)
	if err != nil {
		return err
	}
	kp, e, err := p.kindProvider(ctx)
	if err != nil {
		return fmt.Errorf("cannot %s lab %q: %w", verb, name, err)
	}
	nodes, err := kp.ListNodes(l.rec.Cluster)
	if err != nil {
		return fmt.Errorf("listing the nodes of kind cluster %s: %w", l.rec.Cluster, err)
	}
	if len(nodes) == 0 {
		return labs.WithRemedy(fmt.Errorf("kind cluster %s has no node containers left", l.rec.Cluster), labs.RemedyDelete, name)
	}
	args := []string{verb}
	for _, n := range nodes {
		args = append(args, n.String())
	}
	p.logger.V(0).Infof("Lab %q: %s %s", name, e.Binary, strings.Join(args, " "))
	if _, err := engineOutput(ctx, startStopTimeout, e.Binary, args...); err != nil {
		return fmt.Errorf("%s lab %q: %w", verb, name, err)
	}
	return nil
}

// Delete deletes the lab's kind cluster, after checking that ckat made it
// for this lab, and then the lab's directory.
func (p *Provider) Delete(ctx context.Context, name string) error {
	l, err := p.open(name)
	if err != nil {
		return err
	}
	kp, e, err := p.kindProvider(ctx)
	if err != nil {
		return fmt.Errorf("cannot check lab %q's kind cluster before deleting it: %w", name, err)
	}
	clusters, err := kp.List()
	if err != nil {
		return fmt.Errorf("listing kind clusters: %w", err)
	}
	if slices.Contains(clusters, l.rec.Cluster) {
		m, merr := readMarker(ctx, e.Binary, l.rec.ControlPlane)
		if err := checkOwnership(name, l.record, l.rec, m, merr); err != nil {
			return err
		}
		p.logger.V(0).Infof("Deleting kind cluster %s", l.rec.Cluster)
		if err := kp.Delete(l.rec.Cluster, filepath.Join(l.dir, "kubeconfig")); err != nil {
			return fmt.Errorf("deleting kind cluster %s: %w", l.rec.Cluster, err)
		}
	} else {
		p.logger.V(0).Infof("kind cluster %s is already gone", l.rec.Cluster)
	}
	return labs.RemoveDir(name)
}

// readMarker reads ckat's marker from a node container, running or not.
func readMarker(ctx context.Context, engine, container string) (marker, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, engine, "cp", container+":"+markerPath, "-")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return marker{}, errors.New(firstLine(stderr.String(), err.Error()))
	}
	return readMarkerTar(&stdout)
}
