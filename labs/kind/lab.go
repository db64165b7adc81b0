package kind

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/ckat/ckat/labs"
)

// lab is one kind lab.
type lab struct {
	p      *Provider
	record labs.Record
	dir    string
	rec    clusterRecord
	node   *Node
}

var _ labs.Lab = (*lab)(nil)

func newLab(p *Provider, record labs.Record, dir string, rec clusterRecord) *lab {
	l := &lab{p: p, record: record, dir: dir, rec: rec}
	l.node = &Node{name: rec.ControlPlane, runner: &lazyRunner{resolve: l.runner}}
	return l
}

func (l *lab) Name() string     { return l.record.Name }
func (l *lab) Provider() string { return ProviderName }
func (l *lab) Node() labs.Node  { return l.node }

// runner finds the control-plane node container through kind.
func (l *lab) runner(ctx context.Context) (nodeRunner, error) {
	kp, e, err := l.p.kindProvider(ctx)
	if err != nil {
		return nil, err
	}
	nodes, err := kp.ListNodes(l.rec.Cluster)
	if err != nil {
		return nil, fmt.Errorf("listing the nodes of kind cluster %s: %w", l.rec.Cluster, err)
	}
	for _, n := range nodes {
		if n.String() == l.rec.ControlPlane {
			return containerRunner{engine: e.Binary, node: n}, nil
		}
	}
	return nil, labs.WithRemedy(fmt.Errorf("kind cluster %s has no node %s", l.rec.Cluster, l.rec.ControlPlane), labs.RemedyList, "")
}

// Status says whether the control-plane container runs.
func (l *lab) Status(ctx context.Context) (labs.Status, error) {
	st := labs.Status{Name: l.record.Name, Provider: ProviderName, Node: l.rec.ControlPlane, Created: l.record.Created}
	if cfg, err := l.RESTConfig(ctx); err == nil {
		st.APIServer = cfg.Host
	}
	e, err := FindEngine(ctx)
	if err != nil {
		st.State = labs.StateDead
		st.Message = err.Error()
		return st, nil
	}
	// The node's address on its network (kind's kubeadm config advertises
	// it), after whether it runs.
	out, err := engineOutput(ctx, engineTimeout, e.Binary, "inspect", "--format",
		"{{.State.Running}}{{range .NetworkSettings.Networks}} {{.IPAddress}}{{end}}", l.rec.ControlPlane)
	running, ips, _ := strings.Cut(strings.TrimSpace(out), " ")
	if ip, _, _ := strings.Cut(strings.TrimSpace(ips), " "); ip != "" {
		st.NodeIP = ip
	}
	switch {
	case err != nil && strings.Contains(strings.ToLower(err.Error()), "no such"):
		st.State = labs.StateDead
		st.Message, st.Remedy = fmt.Sprintf("its node container %s is gone", l.rec.ControlPlane), labs.RemedyDelete
	case err != nil:
		return st, err
	case running == "true":
		st.State = labs.StateRunning
	default:
		st.State = labs.StateStopped
		st.Message, st.Remedy = fmt.Sprintf("its node container %s is stopped", l.rec.ControlPlane), labs.RemedyStart
	}
	return st, nil
}

// Kubeconfig is the admin kubeconfig kind wrote for the host.
func (l *lab) Kubeconfig(context.Context) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(l.dir, "kubeconfig"))
	if err != nil {
		return nil, fmt.Errorf("lab %q: reading its kubeconfig: %w", l.record.Name, err)
	}
	return data, nil
}

// RESTConfig is the admin client config from Kubeconfig.
func (l *lab) RESTConfig(ctx context.Context) (*rest.Config, error) {
	data, err := l.Kubeconfig(ctx)
	if err != nil {
		return nil, err
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(data)
	if err != nil {
		return nil, fmt.Errorf("lab %q: its kubeconfig: %w", l.record.Name, err)
	}
	return cfg, nil
}

// lazyRunner finds the node container on first use, so that opening a lab
// needs no container engine.
type lazyRunner struct {
	resolve func(context.Context) (nodeRunner, error)
	mu      sync.Mutex
	r       nodeRunner
}

func (l *lazyRunner) run(ctx context.Context, cmd labs.Command) error {
	l.mu.Lock()
	if l.r == nil {
		r, err := l.resolve(ctx)
		if err != nil {
			l.mu.Unlock()
			return fmt.Errorf("reaching the lab's node: %w", err)
		}
		l.r = r
	}
	r := l.r
	l.mu.Unlock()
	return r.run(ctx, cmd)
}
