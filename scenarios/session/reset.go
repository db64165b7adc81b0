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

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/ckat/ckat/internal/kubeadm"
	"github.com/ckat/ckat/internal/readyz"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/scenarios/steps"
)

// Reset brings a lab back to the start of its scenario, on the same lab:
//
//  0. the kubelet's files are put back as setup left them, and the kubelet
//     restarted if one changed or it is not running (see kubelet.go);
//     when they had not changed and etcd still runs from its baseline
//     manifest and data directory, etcd is left running instead and the
//     objects are put back through it (resetInPlace);
//  1. every file in /etc/kubernetes/manifests is removed, so the node stops
//     the static pods, and Reset waits until their processes have exited;
//  2. the scenario's cleanup paths (what the learner was asked to create)
//     are removed, and /var/lib/etcd and the files the setup wrote are put
//     back from the copies taken right after setup;
//  3. the baseline manifests are written back and Reset waits for the
//     control plane as setup left it;
//  4. the lab is on the first stage with no hints shown.
//
// Anything else the learner made on the node stays. A lab made by an
// earlier version, whose baseline is a pre-setup snapshot, is reset by
// restoring that snapshot and running the setup steps again.
func (s *Session) Reset(ctx context.Context) error {
	dir, err := labs.Dir(s.Lab.Name())
	if err != nil {
		return err
	}
	mdir := filepath.Join(dir, baselineDir, "manifests")
	if manifests, err := os.ReadDir(mdir); err != nil || len(manifests) == 0 {
		return fmt.Errorf("lab %q has no baseline to reset to (%s): delete it and start the scenario again", s.Lab.Name(), mdir)
	}
	b, ok, err := readBaseline(dir)
	if err != nil {
		return err
	}
	if !ok {
		return s.resetByReplay(ctx, mdir)
	}
	inPlace, err := s.resetInPlace(ctx, dir, mdir, b)
	if err != nil {
		return err
	}
	if !inPlace {
		if err := s.resetFromCopy(ctx, dir, mdir, b); err != nil {
			return err
		}
	}
	s.State.Stage = s.Rendered.Stages[0].Name
	s.State.HintsShown = nil
	return s.Save()
}

// resetByReplay resets a lab made before baselines were copies: it
// restores etcd from the pre-setup snapshot with the baseline etcd.yaml's
// --name, --initial-cluster and --initial-advertise-peer-urls, writes the
// baseline manifests back and runs the setup steps again.
func (s *Session) resetByReplay(ctx context.Context, mdir string) error {
	node := s.Lab.Node()
	manifests, err := os.ReadDir(mdir)
	if err != nil {
		return err
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

	if err := s.stopForReset(ctx, mdir); err != nil {
		return err
	}
	s.Logger.V(0).Infof("Restoring etcd and the manifests ...")
	script := s.clearScript(baseline{})
	fmt.Fprintf(script, "rm -rf %s\n", kubeadm.EtcdDataDir)
	fmt.Fprintf(script, "etcdutl snapshot restore %s --data-dir %s %s >/dev/null\n", BaselineSnapshot, kubeadm.EtcdDataDir, strings.Join(restoreFlags, " "))
	fmt.Fprintf(script, "chmod 700 %s\n", kubeadm.EtcdDataDir)
	if err := steps.Run(ctx, node, script.String()); err != nil {
		return err
	}
	for _, m := range manifests {
		data, err := os.ReadFile(filepath.Join(mdir, m.Name()))
		if err != nil {
			return err
		}
		if err := writeManifest(ctx, node, m.Name(), data); err != nil {
			return err
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

// writeManifest writes a static pod manifest on the node: beside the
// manifest directory first, then moved in, so the node never reads half a
// file.
func writeManifest(ctx context.Context, node labs.Node, name string, data []byte) error {
	target := path.Join(kubeadm.ManifestsDir, name)
	tmp := "/var/lib/ckat/" + name + ".tmp"
	err := node.Exec(ctx, labs.Command{
		Args:  []string{"bash", "-c", fmt.Sprintf("cat > %s && chmod 600 %s && mv %s %s", tmp, tmp, tmp, target)},
		Stdin: bytes.NewReader(data),
	})
	if err != nil {
		return fmt.Errorf("writing %s: %w", target, err)
	}
	return nil
}
