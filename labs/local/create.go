package local

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/ckat/ckat/internal/readyz"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/labs/local/kubeadm"
)

// kubeadmConfig is the cluster every local lab runs: kubeadm's defaults
// on a node of its own address, with the static pods of components (nil
// for all four).
func kubeadmConfig(nodeIP string, components []string) kubeadm.Config {
	return kubeadm.Config{
		NodeName:          NodeName,
		NodeIP:            nodeIP,
		KubernetesVersion: kubeadm.DefaultKubernetesVersion,
		EtcdImage:         kubeadm.DefaultEtcdImage,
		APIServerImage:    "registry.k8s.io/kube-apiserver:" + kubeadm.DefaultKubernetesVersion,
		ServiceCIDR:       kubeadm.DefaultServiceCIDR,
		ClusterName:       kubeadm.DefaultClusterName,
		Components:        components,
	}
}

// Create makes a lab: its directory and record, the files kubeadm init
// writes, and a running node; it returns once the API server is ready, the
// node is marked as the control plane, every static pod's mirror pod is
// listed, and the admin's kubeconfig is in run/kubeconfig. A failed Create removes
// what it made.
func (p *Provider) Create(ctx context.Context, opts labs.CreateOptions) (_ labs.Lab, err error) {
	if err := labs.ValidateName(opts.Name); err != nil {
		return nil, err
	}
	ckat, err := p.ckatExecutable()
	if err != nil {
		return nil, err
	}
	apiserver, err := findKubeAPIServer(p.kubeAPIServer, ckat)
	if err != nil {
		return nil, err
	}
	dir, st, unlock, err := createDir(opts.Name, apiserver)
	if err != nil {
		return nil, err
	}
	defer unlock()
	defer func() {
		if err != nil {
			p.cleanUp(opts.Name, dir)
		}
	}()

	p.logger.V(0).Infof("Creating lab %q ...", opts.Name)
	step := p.newSteps()
	step.start("Writing certificates and manifests")
	if err := kubeadm.Generate(filepath.Join(dir, "node"), kubeadmConfig(st.NodeIP, opts.Components)); err != nil {
		step.end(false)
		return nil, fmt.Errorf("creating lab %q: writing the node's files: %w", opts.Name, err)
	}
	step.end(true)
	wait := opts.WaitReady
	if wait <= 0 {
		wait = readyz.LabTimeout
	}
	if _, err := p.boot(ctx, step, opts.Name, dir, st, ckat, wait, true); err != nil {
		return nil, fmt.Errorf("creating lab %q: %w", opts.Name, err)
	}
	p.logger.V(0).Infof("Lab %q is ready", opts.Name)
	return p.open(opts.Name)
}

// createDir makes the lab directory and its first state, which reserves
// a node IP no other local lab has. It returns with the lab locked.
func createDir(name, apiserver string) (string, state, func(), error) {
	unlockAll, err := lockLabs()
	if err != nil {
		return "", state{}, nil, err
	}
	defer unlockAll()
	ip, err := freeNodeIP()
	if err != nil {
		return "", state{}, nil, err
	}
	dir, err := labs.CreateDir(labs.Record{Name: name, Provider: ProviderName})
	if err != nil {
		return "", state{}, nil, err
	}
	st := state{NodeIP: ip, KubeAPIServer: apiserver}
	if err := writeState(dir, st); err != nil {
		_ = labs.RemoveDir(name)
		return "", state{}, nil, err
	}
	unlock, err := lockLab(dir)
	if err != nil {
		_ = labs.RemoveDir(name)
		return "", state{}, nil, err
	}
	return dir, st, unlock, nil
}

// cleanUp stops the node of a lab whose creation failed and removes its
// directory, saying so if it cannot.
func (p *Provider) cleanUp(name, dir string) {
	if st, err := readState(dir); err == nil && st.running() {
		if err := stopNode(st, atOnce); err != nil {
			p.logger.Warnf("cleaning up lab %q: %v", name, err)
			return
		}
	}
	if err := labs.RemoveDir(name); err != nil {
		p.logger.Warnf("cleaning up lab %q: %v", name, err)
	}
}

// freeNodeIP returns 172.30.N.10 with the smallest N (1 to 254) that no
// local lab uses.
func freeNodeIP() (string, error) {
	records, err := labs.List()
	if err != nil {
		return "", err
	}
	used := map[string]bool{}
	for _, r := range records {
		if r.Provider != ProviderName {
			continue
		}
		dir, err := labs.Dir(r.Name)
		if err != nil {
			continue
		}
		if st, err := readState(dir); err == nil && st.NodeIP != "" {
			used[st.NodeIP] = true
		}
	}
	for n := 1; n <= 254; n++ {
		ip := fmt.Sprintf("172.30.%d.10", n)
		if !used[ip] {
			return ip, nil
		}
	}
	return "", labs.WithRemedy(errors.New("all 254 node addresses are taken: delete a lab first"), labs.RemedyList, "")
}
