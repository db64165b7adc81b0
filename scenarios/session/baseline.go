package session

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ckat/ckat/internal/kubeadm"
	"github.com/ckat/ckat/internal/readyz"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/scenarios"
	"github.com/ckat/ckat/scenarios/steps"
)

// The baseline is the lab right after setup, which `ckat reset` puts
// back: the static pod manifests (kept in the lab's directory on the host,
// baseline/manifests/), etcd's keys (baseline/keyspace.pb, see
// keyspace.go), a copy of the stopped etcd's own data directory
// and of the node files the setup's snapshot steps wrote and of the
// kubelet's files (kept on the node under BaselineDir), and what was running
// then (baseline/baseline.json).
//
// The data directory is copied, not snapshotted and restored, so that
// after a reset it is still one etcd bootstrapped itself, as on an exam
// node, and not one `etcdutl snapshot restore` made. A lab that can be
// frozen, whose setup changed no static pod, is copied paused
// (copyFrozen); another has its control plane stopped for the copy and
// started again.
const (
	baselineDir  = "baseline"
	baselineMeta = "baseline.json"
	// BaselineDir is where the node keeps the copied etcd data
	// (BaselineDir/etcd) and setup's files (BaselineDir/files/PATH).
	BaselineDir = "/var/lib/ckat/baseline"
	// BaselineSnapshot is where labs made by earlier versions keep etcd's
	// pre-setup snapshot; Reset replays the setup on such labs.
	BaselineSnapshot = BaselineDir + "/etcd.db"
	// stopTimeout bounds the wait for the static pods' processes to exit.
	stopTimeout = readyz.StepTimeout
)

// baseline is what baseline.json records.
type baseline struct {
	// Files are node files the setup wrote, copied under BaselineDir/files.
	Files []string `json:"files,omitempty"`
	// APIServerReady says the API server was ready after setup (setup
	// may break it on purpose).
	APIServerReady bool `json:"apiServerReady"`
}

// saveBaseline records the lab's post-setup state: it copies etcd's data
// directory and the files setup wrote, with the lab paused, or with the
// control plane stopped and then started again as it was.
//
// settled says the setup left the static pods' manifests and the
// kubelet's files as they were: no pod is being replaced, so a copy made
// paused is the lab as the learner will find it. After a setup that
// changed them (a troubleshooting scenario's broken manifest), an old pod
// may still be draining, and the control plane is stopped and started
// from the new files instead, as a reset does.
func (s *Session) saveBaseline(ctx context.Context, settled bool) error {
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
	manifests := map[string][]byte{}
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
		manifests[e.Name()] = data
	}
	b := baseline{APIServerReady: apiServerReadyAfter(s.Rendered.Setup)}
	for _, st := range s.Rendered.Setup {
		if st.Snapshot != nil {
			b.Files = append(b.Files, st.Snapshot.Path)
		}
	}
	var script strings.Builder
	script.WriteString("set -e\n")
	fmt.Fprintf(&script, "rm -rf %s\nmkdir -p %s/files\n", BaselineDir, BaselineDir)
	fmt.Fprintf(&script, "cp -a --reflink=auto %s %s/etcd\n", kubeadm.EtcdDataDir, BaselineDir)
	saveKubeletFiles(&script)
	for _, f := range b.Files {
		saved := shellQuote(BaselineDir + "/files" + f)
		fmt.Fprintf(&script, "mkdir -p \"$(dirname %s)\"\ncp -a --reflink=auto %s %s\n", saved, shellQuote(f), saved)
	}
	s.saveKeyspace(ctx, dir)
	if f, ok := s.Lab.(labs.Freezer); ok && settled && b.APIServerReady {
		if err := copyFrozen(ctx, f, node, script.String()); err != nil {
			return err
		}
		s.recordEtcdDB(ctx, dir)
		return writeBaseline(dir, b)
	}
	if err := s.stopControlPlane(ctx, manifests); err != nil {
		return err
	}
	if err := steps.Run(ctx, node, script.String()); err != nil {
		return err
	}
	s.recordEtcdDB(ctx, dir)
	if err := writeBaseline(dir, b); err != nil {
		return err
	}
	return s.startControlPlane(ctx, mdir, b)
}

// copyFrozen runs the baseline's copy script while every process of the
// lab is paused, and resumes them. A paused etcd's data directory is what
// a power cut at that instant would leave, with nothing lost (every write
// it made is in the page cache the copy reads): etcd recovers from it as
// from any crash, replaying its WAL. The lab keeps running as it was, so
// the baseline costs a fraction of a second instead of a restart of the
// control plane.
func copyFrozen(ctx context.Context, f labs.Freezer, node labs.Node, script string) error {
	if err := f.Freeze(ctx); err != nil {
		return fmt.Errorf("pausing the lab to copy its baseline: %w", err)
	}
	err := steps.Run(ctx, node, script)
	// Not ctx: an interrupted copy still resumes the lab.
	if terr := f.Thaw(context.Background()); terr != nil && err == nil {
		err = fmt.Errorf("resuming the lab after copying its baseline: %w", terr)
	}
	return err
}

// saveKeyspace keeps etcd's keys as setup left them in the lab's
// directory dir, for resetInPlace. Without them (etcd does not answer,
// as after a setup that stops it) every reset copies etcd's data back.
func (s *Session) saveKeyspace(ctx context.Context, dir string) {
	file := filepath.Join(dir, baselineDir, keyspaceFile)
	data, err := readKeyspace(ctx, s.Lab.Node())
	if err == nil {
		_, err = decodeKeyspace(data)
	}
	if err == nil {
		err = os.WriteFile(file, data, 0o600)
	}
	if err != nil {
		_ = os.Remove(file)
		s.Logger.V(1).Infof("Not keeping etcd's keys for a reset in place: %v", err)
	}
}

// writeBaseline writes baseline.json into the lab's directory dir.
func writeBaseline(dir string, b baseline) error {
	data, _ := json.MarshalIndent(b, "", "  ")
	return os.WriteFile(filepath.Join(dir, baselineDir, baselineMeta), data, 0o600)
}

// apiServerReadyAfter says whether setup leaves the API server ready: it
// does unless a step after its last use of the API waits for the API
// server to fail.
func apiServerReadyAfter(setup []scenarios.Step) bool {
	ready := true
	for _, st := range setup {
		switch {
		case st.WaitFor != nil && st.WaitFor.Condition == scenarios.ConditionAPIServerNotReady:
			ready = false
		case steps.NeedsAPI(st) || st.WaitFor != nil && st.WaitFor.Condition == scenarios.ConditionAPIServerReady:
			ready = true
		}
	}
	return ready
}

// readBaseline reads baseline.json; ok is false for a lab made before
// baselines were copies.
func readBaseline(dir string) (b baseline, ok bool, err error) {
	data, err := os.ReadFile(filepath.Join(dir, baselineDir, baselineMeta))
	if os.IsNotExist(err) {
		return b, false, nil
	}
	if err != nil {
		return b, false, err
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return b, false, fmt.Errorf("reading the lab's baseline: %w", err)
	}
	return b, true, nil
}

// staticPodInputs reads what decides the node's static pods: the files in
// the manifest directory and the kubelet's own files, by path ("" for one
// that is missing).
func staticPodInputs(ctx context.Context, node labs.Node) (map[string]string, error) {
	out := map[string]string{}
	entries, err := node.ReadDir(ctx, kubeadm.ManifestsDir)
	if err != nil {
		return nil, fmt.Errorf("reading the node's manifests: %w", err)
	}
	paths := slices.Clone(kubeadm.KubeletFiles)
	for _, e := range entries {
		paths = append(paths, path.Join(kubeadm.ManifestsDir, e.Name()))
	}
	for _, p := range paths {
		if data, err := node.ReadFile(ctx, p); err == nil {
			out[p] = string(data)
		} else {
			out[p] = ""
		}
	}
	return out, nil
}
