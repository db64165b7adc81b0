package kind

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/kind/pkg/cluster"

	"github.com/ckat/ckat/internal/readyz"
	"github.com/ckat/ckat/kindconfigs"
	"github.com/ckat/ckat/labs"
)

// Create makes a kind cluster called ckat-NAME from the kindconfigs entry
// opts.Config, records it in the lab's directory, marks its control-plane
// node as ckat's, and installs the cluster's own etcdctl and etcdutl on
// that node. The preflight checks run first: without a container engine
// it fails within seconds.
func (p *Provider) Create(ctx context.Context, opts labs.CreateOptions) (labs.Lab, error) {
	if err := labs.ValidateName(opts.Name); err != nil {
		return nil, err
	}
	configName := opts.Config
	if configName == "" {
		configName = kindconfigs.Default
	}
	raw, err := kindconfigs.Get(configName)
	if err != nil {
		return nil, err
	}
	cfg, err := kindconfigs.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("kind config %s: %w", configName, err)
	}
	image := cfg.Nodes[0].Image
	if err := p.preflight(ctx, opts.Name, image); err != nil {
		return nil, err
	}
	kp, e, err := p.kindProvider(ctx)
	if err != nil {
		return nil, cannotCreate(opts.Name, err)
	}
	rec := newClusterRecord(opts.Name, configName, image, e.Binary)
	existing, err := kp.List()
	if err != nil {
		return nil, fmt.Errorf("listing kind clusters: %w", err)
	}
	if slices.Contains(existing, rec.Cluster) {
		return nil, fmt.Errorf("a kind cluster called %s already exists and is not lab %q's: choose another lab name, or delete it with 'kind delete cluster --name %s'", rec.Cluster, opts.Name, rec.Cluster)
	}
	dir, err := labs.CreateDir(labs.Record{Name: opts.Name, Provider: ProviderName})
	if err != nil {
		return nil, err
	}
	if err := writeClusterRecord(dir, rec); err != nil {
		_ = labs.RemoveDir(opts.Name)
		return nil, err
	}
	wait := opts.WaitReady
	if wait <= 0 {
		wait = readyz.LabTimeout
	}
	p.logger.V(0).Infof("Creating kind cluster %s from %s (%s, %s)", rec.Cluster, configName, image, e.Binary)
	labelNodes(cfg, opts.Name)
	err = kp.Create(rec.Cluster,
		cluster.CreateWithV1Alpha4Config(cfg),
		cluster.CreateWithWaitForReady(wait),
		cluster.CreateWithKubeconfigPath(filepath.Join(dir, "kubeconfig")),
		cluster.CreateWithDisplayUsage(false),
		cluster.CreateWithDisplaySalutation(false),
	)
	if err != nil {
		_ = labs.RemoveDir(opts.Name)
		return nil, fmt.Errorf("creating kind cluster %s: %w", rec.Cluster, err)
	}
	record, err := labs.ReadRecord(opts.Name)
	if err != nil {
		return nil, err
	}
	l := newLab(p, record, dir, rec)
	if err := writeMarker(ctx, l.node, rec.marker(opts.Name)); err != nil {
		// Without its marker no later command would delete the cluster;
		// this call made it a moment ago, so remove it now.
		_ = kp.Delete(rec.Cluster, filepath.Join(dir, "kubeconfig"))
		_ = labs.RemoveDir(opts.Name)
		return nil, fmt.Errorf("marking kind cluster %s as lab %q's: %w", rec.Cluster, opts.Name, err)
	}
	res, err := installEtcdTools(ctx, rec.ControlPlane, l.node.runner)
	if err != nil {
		p.logger.Warnf("could not install etcdctl and etcdutl on %s: %v; 'crictl exec' into the etcd container has them", rec.ControlPlane, err)
	}
	for _, line := range res.Lines() {
		p.logger.V(0).Info(line)
	}
	return l, nil
}

// preflight runs the doctor's kind checks and fails on a problem that
// stops a lab, in one line naming each. A node image the registry did not
// answer for is only a warning here: kind's own pull may still succeed.
func (p *Provider) preflight(ctx context.Context, name, image string) error {
	var problems []string
	for _, f := range findings(ctx, image) {
		switch {
		case f.Status == labs.FindingOK:
			p.logger.V(1).Infof("%s: %s", f.Check, f.Message)
		case f.Status == labs.FindingProblem && f.Check != "node image":
			problems = append(problems, fmt.Sprintf("%s: %s: %s", f.Check, f.Message, f.Fix))
		default:
			p.logger.Warnf("%s: %s (%s)", f.Check, f.Message, f.Fix)
		}
	}
	if len(problems) > 0 {
		return cannotCreate(name, fmt.Errorf("%s", strings.Join(problems, "; ")))
	}
	return nil
}

func cannotCreate(name string, err error) error {
	return &labs.RemedyError{Err: fmt.Errorf("cannot create kind lab %q: %w", name, err), Remedy: labs.RemedyDoctor, Provider: ProviderName}
}

// LabLabel is the Kubernetes label ckat puts on every node of a lab's kind
// cluster, with the lab's name as its value: `kubectl get nodes -l` finds
// them. Ownership itself rests on the marker file, which only ckat writes.
const LabLabel = "ckat.dev/lab"

// labelNodes labels every node of cfg with LabLabel=lab.
func labelNodes(cfg *v1alpha4.Cluster, lab string) {
	for i := range cfg.Nodes {
		if cfg.Nodes[i].Labels == nil {
			cfg.Nodes[i].Labels = map[string]string{}
		}
		cfg.Nodes[i].Labels[LabLabel] = lab
	}
}

// writeMarker writes ckat's marker on the node.
func writeMarker(ctx context.Context, n *Node, m marker) error {
	data, _ := json.Marshal(m)
	return n.runner.run(ctx, labs.Command{Args: []string{"tee", markerPath}, Stdin: bytes.NewReader(data)})
}
