// Package local runs labs on this machine without a container engine: a
// lab's control-plane node is a process tree in its own Linux namespaces
// (package node), its files are generated as kubeadm would (package
// kubeadm), and a node agent runs etcd and kube-apiserver as static pods
// (package agent). The lab's API server and etcd are forwarded to ports on
// the host's 127.0.0.1.
package local

import (
	"context"
	"fmt"
	"os"

	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs"
)

// ProviderName is the local provider's name as users type it.
const ProviderName = "local"

// NodeName is the hostname of every local lab's control-plane node.
const NodeName = "controlplane"

// Provider makes and manages local labs. Its zero value is not usable;
// call New.
type Provider struct {
	logger        *log.Logger
	kubeAPIServer string
	ckat          string
}

var _ labs.Provider = (*Provider)(nil)

// Option configures a Provider.
type Option func(*Provider)

// WithKubeAPIServer makes the provider run the kube-apiserver at path
// instead of searching for one ($CKAT_KUBE_APISERVER, next to ckat, PATH).
func WithKubeAPIServer(path string) Option {
	return func(p *Provider) { p.kubeAPIServer = path }
}

// WithCkat makes the labs' nodes run the ckat executable at path instead
// of this process's executable: a program that is not ckat itself (a
// test) makes labs with it.
func WithCkat(path string) Option {
	return func(p *Provider) { p.ckat = path }
}

// New returns a local provider that reports progress through logger (nil
// for none).
func New(logger *log.Logger, opts ...Option) *Provider {
	if logger == nil {
		logger = log.NoOp()
	}
	p := &Provider{logger: logger}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Name returns "local".
func (p *Provider) Name() string { return ProviderName }

// Get returns the local lab called name, running or not.
func (p *Provider) Get(_ context.Context, name string) (labs.Lab, error) {
	return p.open(name)
}

// open reads the record of the lab called name and checks that it is a
// local lab.
func (p *Provider) open(name string) (*lab, error) {
	rec, err := labs.ReadRecord(name)
	if err != nil {
		return nil, err
	}
	if rec.Provider != ProviderName {
		return nil, fmt.Errorf("lab %q was made by the %s provider, not the %s one", name, rec.Provider, ProviderName)
	}
	dir, err := labs.Dir(name)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Lstat(dir); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return nil, fmt.Errorf("lab %q: %s is a symlink, not a directory ckat created", name, dir)
	}
	return &lab{name: name, dir: dir, created: rec.Created}, nil
}
