// Package providers maps provider names to labs.Provider implementations
// and opens existing labs with the provider that made them.
package providers

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/labs/kind"
	"github.com/ckat/ckat/labs/local"
)

// Default is the provider `ckat lab create` and `ckat start` use when not
// told otherwise.
const Default = local.ProviderName

// Options are what a provider may need from the command that uses it.
type Options struct {
	// Logger receives progress; nil discards it.
	Logger *log.Logger
	// KubeAPIServer is an explicit kube-apiserver executable for the
	// local provider (--kube-apiserver); empty searches for one.
	KubeAPIServer string
	// Ckat is the ckat executable the local provider's nodes run; empty
	// is this process's executable.
	Ckat string
}

// Option sets one of Options.
type Option func(*Options)

// WithLogger makes the provider report progress through logger.
func WithLogger(logger *log.Logger) Option { return func(o *Options) { o.Logger = logger } }

// WithKubeAPIServer makes the local provider run the kube-apiserver at path.
func WithKubeAPIServer(path string) Option { return func(o *Options) { o.KubeAPIServer = path } }

// WithCkat makes the local provider's nodes run the ckat executable at
// path.
func WithCkat(path string) Option { return func(o *Options) { o.Ckat = path } }

// registry holds every provider by name.
var registry = map[string]func(Options) labs.Provider{
	local.ProviderName: func(o Options) labs.Provider {
		return local.New(o.Logger, local.WithKubeAPIServer(o.KubeAPIServer), local.WithCkat(o.Ckat))
	},
	kind.ProviderName: func(o Options) labs.Provider {
		return kind.New(o.Logger)
	},
}

// Names returns the known providers' names, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Get returns the provider called name.
func Get(name string, opts ...Option) (labs.Provider, error) {
	newProvider, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("unknown provider %q: known providers are %s", name, strings.Join(Names(), ", "))
	}
	var o Options
	for _, opt := range opts {
		opt(&o)
	}
	return newProvider(o), nil
}

// Open returns the lab a command acts on (labs.Resolve: labName, else
// $CKAT_LAB, else the only lab), through the provider that made it. A lab
// frozen while idle (a class's lab before its learner first comes, or
// one `ckat serve` froze) is thawed first: a command wakes it as a
// keystroke does.
func Open(ctx context.Context, labName string, opts ...Option) (labs.Lab, error) {
	rec, err := labs.Resolve(labName)
	if err != nil {
		return nil, err
	}
	p, err := ForRecord(rec, opts...)
	if err != nil {
		return nil, err
	}
	lab, err := p.Get(ctx, rec.Name)
	if err != nil {
		return nil, err
	}
	if err := labs.Thaw(ctx, lab); err != nil {
		return nil, fmt.Errorf("lab %q is frozen and did not thaw: %w", rec.Name, err)
	}
	return lab, nil
}

// ForRecord returns the provider that made the lab rec describes.
func ForRecord(rec labs.Record, opts ...Option) (labs.Provider, error) {
	p, err := Get(rec.Provider, opts...)
	if err != nil {
		return nil, fmt.Errorf("lab %q: %w", rec.Name, err)
	}
	return p, nil
}
