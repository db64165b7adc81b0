package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/ckat/ckat/internal/kubeadm"
	"github.com/ckat/ckat/internal/readyz"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/scenarios/steps"
)

// The baseline is the lab as the provider made it, before any setup step:
// the static pod manifests (kept in the lab's directory on the host,
// baseline/manifests/) and a snapshot of etcd (kept on the node at
// BaselineSnapshot).
const (
	baselineDir = "baseline"
	// BaselineSnapshot is where the node keeps etcd's pre-setup snapshot.
	BaselineSnapshot = "/var/lib/ckat/baseline/etcd.db"
)

func (s *Session) saveBaseline(ctx context.Context) error {
	node := s.Lab.Node()
	dir, err := labs.Dir(s.Lab.Name())
	if err != nil {
		return err
	}
	mdir := filepath.Join(dir, baselineDir, "manifests")
	if err := os.MkdirAll(mdir, 0o700); err != nil {
		return err
	}
	entries, err := node.ReadDir(ctx, kubeadm.ManifestsDir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := node.ReadFile(ctx, path.Join(kubeadm.ManifestsDir, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(mdir, e.Name()), data, 0o600); err != nil {
			return err
		}
	}
	if err := steps.Run(ctx, node, "mkdir -p "+path.Dir(BaselineSnapshot)); err != nil {
		return err
	}
	return steps.SaveSnapshot(ctx, node, BaselineSnapshot)
}

// Reset brings a lab back to the start of its scenario, on the same lab:
//
//  1. every file in /etc/kubernetes/manifests is removed, so the node stops
//     etcd and kube-apiserver, and Reset waits until etcd stops answering;
//  2. the scenario's cleanup paths (what the learner was asked to create)
//     and /var/lib/etcd are removed;
//  3. /var/lib/etcd is restored from the baseline snapshot with the
//     baseline etcd.yaml's --name, --initial-cluster and
//     --initial-advertise-peer-urls;
//  4. the baseline manifests are written back and Reset waits for the API
//     server;
//  5. the setup steps run again with the same parameters, and the lab is
//     on the first stage with no hints shown.
//
// Anything else the learner made on the node stays.
func (s *Session) Reset(ctx context.Context) error {
	node := s.Lab.Node()
	dir, err := labs.Dir(s.Lab.Name())
	if err != nil {
		return err
	}
	mdir := filepath.Join(dir, baselineDir, "manifests")
	manifests, err := os.ReadDir(mdir)
	if err != nil || len(manifests) == 0 {
		return fmt.Errorf("lab %q has no baseline to reset to (%s): delete it and start the scenario again", s.Lab.Name(), mdir)
	}
	etcdYAML, err := os.ReadFile(filepath.Join(mdir, path.Base(kubeadm.EtcdManifest)))
	if err != nil {
		return fmt.Errorf("the baseline has no etcd.yaml: %w", err)
	}
	restoreFlags, err := etcdRestoreFlags(etcdYAML)
	if err != nil {
		return err
	}
	if _, err := node.Stat(ctx, BaselineSnapshot); err != nil {
		return fmt.Errorf("the lab's baseline snapshot %s is missing: delete the lab and start the scenario again", BaselineSnapshot)
	}

	s.Logger.V(0).Infof("Stopping the control plane ...")
	if err := steps.Run(ctx, node, "rm -f "+kubeadm.ManifestsDir+"/*"); err != nil {
		return err
	}
	if err := steps.WaitEtcdDown(ctx, node, readyz.StepTimeout); err != nil {
		return err
	}
	time.Sleep(2 * time.Second) // let the stopped processes exit and release their files

	s.Logger.V(0).Infof("Restoring etcd and the manifests ...")
	var script strings.Builder
	script.WriteString("set -e\n")
	for _, p := range s.Rendered.Cleanup {
		fmt.Fprintf(&script, "rm -rf %s\n", shellQuote(p))
	}
	fmt.Fprintf(&script, "rm -rf %s\n", kubeadm.EtcdDataDir)
	fmt.Fprintf(&script, "etcdutl snapshot restore %s --data-dir %s %s >/dev/null\n", BaselineSnapshot, kubeadm.EtcdDataDir, strings.Join(restoreFlags, " "))
	fmt.Fprintf(&script, "chmod 700 %s\n", kubeadm.EtcdDataDir)
	if err := steps.Run(ctx, node, script.String()); err != nil {
		return err
	}
	for _, m := range manifests {
		data, err := os.ReadFile(filepath.Join(mdir, m.Name()))
		if err != nil {
			return err
		}
		target := path.Join(kubeadm.ManifestsDir, m.Name())
		// Written beside, then moved in, so the node never reads half a file.
		tmp := "/var/lib/ckat/" + m.Name() + ".tmp"
		err = node.Exec(ctx, labs.Command{
			Args:  []string{"bash", "-c", fmt.Sprintf("cat > %s && chmod 600 %s && mv %s %s", tmp, tmp, tmp, target)},
			Stdin: bytes.NewReader(data),
		})
		if err != nil {
			return fmt.Errorf("writing %s: %w", target, err)
		}
	}
	cfg, err := s.Lab.RESTConfig(ctx)
	if err != nil {
		return err
	}
	if err := steps.WaitAPIServerReady(ctx, cfg, readyz.LabTimeout); err != nil {
		return err
	}
	s.State.Stage = s.Rendered.Stages[0].Name
	s.State.HintsShown = nil
	if err := s.setup(ctx); err != nil {
		return err
	}
	return s.Save()
}

// etcdRestoreFlags reads the member flags a restore needs from an etcd
// static pod manifest, so the restored member is the one etcd.yaml starts.
func etcdRestoreFlags(manifest []byte) ([]string, error) {
	var pod corev1.Pod
	if err := yaml.Unmarshal(manifest, &pod); err != nil {
		return nil, fmt.Errorf("reading the baseline etcd.yaml: %w", err)
	}
	if len(pod.Spec.Containers) == 0 {
		return nil, errors.New("the baseline etcd.yaml has no container")
	}
	c := pod.Spec.Containers[0]
	want := map[string]bool{"name": true, "initial-cluster": true, "initial-advertise-peer-urls": true}
	var out []string
	for _, a := range append(append([]string{}, c.Command...), c.Args...) {
		k, v, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if ok && strings.HasPrefix(a, "--") && want[k] {
			out = append(out, "--"+k+"="+shellQuote(v))
			delete(want, k)
		}
	}
	return out, nil
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
