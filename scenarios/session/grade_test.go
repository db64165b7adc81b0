package session

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ckat/ckat/grader"
	layout "github.com/ckat/ckat/internal/kubeadm"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/labs/local/kubeadm"
	"github.com/ckat/ckat/scenarios"
)

// dirNode is a node whose files are a host directory; it runs no commands.
type dirNode struct{ root string }

func (n dirNode) Name() string { return "controlplane" }
func (n dirNode) path(p string) string {
	return filepath.Join(n.root, filepath.FromSlash(p))
}
func (n dirNode) Stat(_ context.Context, p string) (fs.FileInfo, error)  { return os.Stat(n.path(p)) }
func (n dirNode) Lstat(_ context.Context, p string) (fs.FileInfo, error) { return os.Lstat(n.path(p)) }
func (n dirNode) ReadFile(_ context.Context, p string) ([]byte, error)   { return os.ReadFile(n.path(p)) }
func (n dirNode) ReadDir(_ context.Context, p string) ([]fs.DirEntry, error) {
	return os.ReadDir(n.path(p))
}
func (n dirNode) RealPath(_ context.Context, p string) (string, error) {
	if _, err := os.Stat(n.path(p)); err != nil {
		return "", err
	}
	return path.Clean("/" + p), nil // the fixtures hold no symlinks
}
func (n dirNode) HostPath(_ context.Context, p string) (string, func(), error) {
	return n.path(p), func() {}, nil
}
func (n dirNode) Exec(context.Context, labs.Command) error {
	return errors.New("this node runs no commands")
}

func TestEvaluateRequires(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, kubeadm.Generate(root, kubeadm.Config{NodeName: "controlplane", NodeIP: "172.30.7.10"}))
	present := func(name, path string, requires ...string) scenarios.Check {
		return scenarios.Check{
			CheckSpec: grader.CheckSpec{Name: name, Hint: "hint of " + name, ManifestPresent: &grader.ManifestPresentCheck{Path: path}},
			Requires:  requires,
		}
	}
	stage := scenarios.Stage{Name: "s", Checks: []scenarios.Check{
		present("etcd", layout.EtcdManifest),
		present("missing", "/etc/kubernetes/manifests/nothing.yaml"),
		present("needs-missing", layout.APIServerManifest, "missing"),
		present("needs-etcd", layout.APIServerManifest, "etcd"),
	}}
	rep := Evaluate(context.Background(), grader.Target{Lab: "l", Node: dirNode{root}}, "sc", stage)

	got := map[string]grader.Result{}
	for _, r := range rep.Checks {
		got[r.Name] = r
	}
	require.Equal(t, grader.StatusPass, got["etcd"].Status)
	require.Equal(t, grader.StatusFail, got["missing"].Status)
	require.Equal(t, grader.StatusPass, got["needs-etcd"].Status)
	gated := got["needs-missing"]
	require.Equal(t, grader.StatusFail, gated.Status, "a check whose requirement fails scores nothing")
	require.Zero(t, gated.Points)
	require.Contains(t, gated.Message, "counts only once missing passes")
	require.Equal(t, "hint of needs-missing", gated.Hint)
	require.Equal(t, 2, rep.Score)
	require.Equal(t, 4, rep.MaxScore)
	require.False(t, rep.Passed)
}

func TestNextHint(t *testing.T) {
	s := &Session{
		State:    scenarios.State{Stage: "b"},
		Rendered: &scenarios.Scenario{Stages: []scenarios.Stage{{Name: "a"}, {Name: "b", Hints: []string{"one", "two"}}}},
	}
	var got []string
	for range 3 {
		h, n, total := s.NextHint()
		require.Equal(t, 2, total)
		got = append(got, h+"/"+string(rune('0'+n)))
	}
	require.Equal(t, []string{"one/1", "two/2", "two/2"}, got)
	require.Equal(t, map[string]int{"b": 2}, s.State.HintsShown)

	s.State.Stage = "a"
	h, n, total := s.NextHint()
	require.Equal(t, "", h)
	require.Zero(t, n+total)
}
