package session

import (
	"context"
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

// The control plane's static pods stopped and started again from the
// baseline's manifests: the full reset (resetFromCopy), and what the reset
// in place (inplace.go) shares with it.

// stopForReset puts the kubelet back as setup left it and stops the
// control plane, etcd last.
func (s *Session) stopForReset(ctx context.Context, mdir string) error {
	running, err := s.currentManifests(ctx)
	if err != nil {
		return err
	}
	var kubelet strings.Builder
	kubelet.WriteString("set -e\n")
	restoreKubeletFiles(&kubelet)
	if err := steps.Run(ctx, s.Lab.Node(), kubelet.String()); err != nil {
		return fmt.Errorf("putting the kubelet back as setup left it: %w", err)
	}
	s.Logger.V(0).Infof("Stopping the control plane ...")
	return s.stopControlPlane(ctx, running, mdir)
}

// clearScript returns the start of the script that puts a lab's files
// back: it removes the scenario's cleanup paths (what the learner was
// asked to make) and copies back the files setup wrote.
func (s *Session) clearScript(b baseline) *strings.Builder {
	script := &strings.Builder{}
	script.WriteString("set -e\n")
	for _, p := range s.Rendered.Cleanup {
		fmt.Fprintf(script, "rm -rf %s\n", shellQuote(p))
	}
	for _, f := range b.Files {
		fmt.Fprintf(script, "rm -rf %s\nmkdir -p \"$(dirname %s)\"\ncp -a --reflink=auto %s %s\n",
			shellQuote(f), shellQuote(f), shellQuote(BaselineDir+"/files"+f), shellQuote(f))
	}
	return script
}

// resetFromCopy stops the control plane, puts back etcd's data directory
// and the files setup wrote, removes the scenario's cleanup paths, and
// starts the control plane from the baseline manifests. dir is the lab's
// directory, mdir its baseline manifests.
func (s *Session) resetFromCopy(ctx context.Context, dir, mdir string, b baseline) error {
	node := s.Lab.Node()
	if err := s.stopForReset(ctx, mdir); err != nil {
		return err
	}
	s.Logger.V(0).Infof("Putting back etcd's data and the manifests ...")
	script := s.clearScript(b)
	fmt.Fprintf(script, "rm -rf %s\ncp -a --reflink=auto %s/etcd %s\n", kubeadm.EtcdDataDir, BaselineDir, kubeadm.EtcdDataDir)
	if err := steps.Run(ctx, node, script.String()); err != nil {
		return err
	}
	s.recordEtcdDB(ctx, dir)
	return s.startControlPlane(ctx, mdir, b)
}

// currentManifests reads the node's manifest directory.
func (s *Session) currentManifests(ctx context.Context) (map[string][]byte, error) {
	node := s.Lab.Node()
	entries, err := node.ReadDir(ctx, kubeadm.ManifestsDir)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		if data, err := node.ReadFile(ctx, path.Join(kubeadm.ManifestsDir, e.Name())); err == nil {
			out[e.Name()] = data
		}
	}
	return out, nil
}

// stopControlPlane removes every manifest, so the node stops the static
// pods, and waits until their processes have exited and released their
// files. The processes are found by the commands of the given manifests
// and of those in the host directories mdirs.
//
// The pods other than etcd stop first, and etcd once they have exited: a
// kube-apiserver that loses etcd while it shuts down waits for it (to
// remove its lease and its endpoint) until the node kills it after the
// pod's grace period, 30 s; with etcd still there, and no
// kube-controller-manager or kube-scheduler left to hold a watch open, it
// exits in about a second.
func (s *Session) stopControlPlane(ctx context.Context, manifests map[string][]byte, mdirs ...string) error {
	first, last := map[string]bool{}, map[string]bool{}
	var firstFiles []string
	for name, data := range manifests {
		cmds := map[string]bool{}
		addCommands(cmds, data)
		if cmds["etcd"] {
			continue
		}
		firstFiles = append(firstFiles, shellQuote(path.Join(kubeadm.ManifestsDir, name)))
	}
	for _, data := range manifests {
		addCommands(last, data)
	}
	for _, d := range mdirs {
		files, _ := os.ReadDir(d)
		for _, f := range files {
			if data, err := os.ReadFile(filepath.Join(d, f.Name())); err == nil {
				addCommands(last, data)
			}
		}
	}
	for c := range last {
		if c != "etcd" {
			first[c] = true
		}
	}
	node := s.Lab.Node()
	if len(firstFiles) > 0 {
		if err := steps.Run(ctx, node, "rm -f "+strings.Join(firstFiles, " ")); err != nil {
			return err
		}
		if err := waitExited(ctx, node, first, stopTimeout); err != nil {
			return err
		}
	}
	if err := steps.Run(ctx, node, "rm -f "+kubeadm.ManifestsDir+"/*"); err != nil {
		return err
	}
	return waitExited(ctx, node, last, stopTimeout)
}

// addCommands adds the base names of a manifest's container commands.
func addCommands(to map[string]bool, manifest []byte) {
	var pod corev1.Pod
	if yaml.Unmarshal(manifest, &pod) != nil {
		return
	}
	for _, c := range pod.Spec.Containers {
		if len(c.Command) > 0 {
			to[path.Base(c.Command[0])] = true
		}
	}
}

// waitExited waits on the node until no process runs one of the commands
// (by the base name of its argv[0], as a static pod's container runs it):
// one command on the node that looks through /proc every 100 ms, so it
// returns as soon as the node agent (or the kubelet) has stopped them.
func waitExited(ctx context.Context, node labs.Node, commands map[string]bool, timeout time.Duration) error {
	if len(commands) == 0 {
		return nil
	}
	var names []string
	for c := range commands {
		names = append(names, c)
	}
	script := fmt.Sprintf(`names=" %s "
end=$((SECONDS + %d))
while :; do
  busy=
  for d in /proc/[0-9]*; do
    IFS= read -r -d '' a < "$d/cmdline" 2>/dev/null || continue
    case "$names" in *" ${a##*/} "*) busy="${a##*/}"; break;; esac
  done
  [ -z "$busy" ] && exit 0
  if [ "$SECONDS" -ge "$end" ]; then echo "$busy still runs" >&2; exit 1; fi
  sleep 0.1
done
`, strings.Join(names, " "), int(timeout.Seconds()))
	if err := steps.Run(ctx, node, script); err != nil {
		return fmt.Errorf("waiting for the static pods to stop: %w", err)
	}
	return nil
}

// startControlPlane writes the manifests in mdir back and waits for what
// ran after setup (waitAsSetupLeft).
func (s *Session) startControlPlane(ctx context.Context, mdir string, b baseline) error {
	files, err := os.ReadDir(mdir)
	if err != nil {
		return err
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name()
	}
	if err := s.writeManifests(ctx, mdir, names); err != nil {
		return err
	}
	return s.waitAsSetupLeft(ctx, b)
}

// writeManifests writes the named manifests of mdir back on the node.
func (s *Session) writeManifests(ctx context.Context, mdir string, names []string) error {
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(mdir, name))
		if err != nil {
			return err
		}
		if err := writeManifest(ctx, s.Lab.Node(), name, data); err != nil {
			return err
		}
	}
	return nil
}

// waitAsSetupLeft waits for what ran after setup: the API server, when
// setup left it ready, and then the setup's trailing waits (an API server
// that must fail).
func (s *Session) waitAsSetupLeft(ctx context.Context, b baseline) error {
	cfg, err := s.Lab.RESTConfig(ctx)
	if err != nil {
		return err
	}
	// Measured on a 2-core machine at load 8 to 10, after a reset and
	// after a learner's restore alike: kube-apiserver takes about 6 s from
	// its start to "Serving securely" (it builds its API groups and
	// storage; no flag kubeadm sets shortens that), /readyz then answers
	// 403 for a moment and 500 for under a second, only
	// poststarthook/rbac/bootstrap-roles and
	// poststarthook/scheduling/bootstrap-system-priority-classes pending,
	// and is ok about 7 s after the start. The etcd checks and
	// informer-sync were never the ones that waited.
	if b.APIServerReady {
		if err := steps.WaitAPIServerReady(ctx, cfg, readyz.LabTimeout); err != nil {
			return err
		}
	}
	setup := s.Rendered.Setup
	i := len(setup)
	for i > 0 && setup[i-1].WaitFor != nil {
		i--
	}
	env, err := s.env(ctx)
	if err != nil {
		return err
	}
	return steps.Apply(ctx, env, setup[i:])
}
