// Package kind runs labs on kind clusters (sigs.k8s.io/kind): each lab is
// a kind cluster named ckat-LAB, its control-plane node is the kind node
// container, and the grader reads that node's files and runs commands in
// it through the container engine. Create checks the container engine
// first, so a machine without one fails in seconds with the same message
// as 'ckat doctor --provider kind'.
package kind

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"time"

	"sigs.k8s.io/kind/pkg/cluster"

	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs"
)

// ProviderName is the kind provider's name as users type it.
const ProviderName = "kind"

// Provider makes and manages kind labs.
type Provider struct {
	logger *log.Logger
}

var _ labs.Provider = (*Provider)(nil)

// New returns a kind provider that reports progress, kind's included,
// through logger (nil for none).
func New(logger *log.Logger) *Provider {
	if logger == nil {
		logger = log.NoOp()
	}
	return &Provider{logger: logger}
}

// Name returns "kind".
func (p *Provider) Name() string { return ProviderName }

// kindProvider finds the container engine and returns kind's provider for
// it.
func (p *Provider) kindProvider(ctx context.Context) (*cluster.Provider, Engine, error) {
	e, err := FindEngine(ctx)
	if err != nil {
		return nil, Engine{}, err
	}
	return cluster.NewProvider(cluster.ProviderWithLogger(kindLogger{p.logger}), e.providerOption()), e, nil
}

// Get returns the kind lab called name, running or not.
func (p *Provider) Get(_ context.Context, name string) (labs.Lab, error) {
	return p.open(name)
}

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
	cr, err := readClusterRecord(dir)
	if err != nil {
		return nil, fmt.Errorf("lab %q: %w", name, err)
	}
	return newLab(p, rec, dir, cr), nil
}

// startStopTimeout bounds stopping or starting a lab's node containers:
// the engine gives each container 10 s to stop before it kills it.
const startStopTimeout = 3 * time.Minute

// engineOutput runs the engine client on the host, within timeout, and
// returns stdout.
func engineOutput(ctx context.Context, timeout time.Duration, engine string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, engine, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %s", engine, args[0], firstLine(stderr.String(), err.Error()))
	}
	return stdout.String(), nil
}
