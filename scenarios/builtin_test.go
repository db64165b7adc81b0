package scenarios

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBuiltinScenariosLoadAndRender(t *testing.T) {
	all, err := Builtin()
	require.NoError(t, err)
	var names []string
	for _, s := range all {
		names = append(names, s.Metadata.Name)
	}
	require.Equal(t, []string{"apiserver-etcd-certfile", "apiserver-etcd-peer-port", "controller-manager-kubeconfig", "etcd-backup", "etcd-backup-restore", "etcd-restore", "kubelet-static-pod-path", "scheduler-kubeconfig"}, names)
	for _, s := range all {
		t.Run(s.Metadata.Name, func(t *testing.T) {
			params, err := s.GenerateParams(7)
			require.NoError(t, err)
			r, err := s.Render(params, LabFacts{Name: "lab1", Node: "controlplane", Provider: "local"})
			require.NoError(t, err)
			for _, st := range r.Stages {
				for _, text := range append([]string{st.Task, st.Solution}, st.Hints...) {
					require.NotContains(t, text, "{{", "stage %s", st.Name)
					require.NotContains(t, text, "<no value>", "stage %s", st.Name)
				}
				require.NotEmpty(t, st.Checks)
			}
			require.NotEmpty(t, r.Mistakes, "every built-in scenario lists known mistakes")
			require.Contains(t, r.Stages[0].Task, "controlplane")
			for _, m := range r.Mistakes {
				require.False(t, strings.Contains(m.Script, "{{"))
			}
			for _, a := range r.Alternatives {
				require.NotContains(t, a.Script, "{{", "alternative %s", a.Name)
				require.NotEmpty(t, a.Description, "alternative %s: 'ckat scenario show' prints it", a.Name)
			}
			requireTaskPathParams(t, params, r)
		})
	}
}

// requireTaskPathParams: `ckat task -o json` is what scripts read, so
// every built-in scenario names its paths the same way: the snapshot a
// stage asks the learner to save is params.backupPath, the snapshot a
// restore uses is params.snapshotPath, and the new data directory is
// params.restoreDir.
func requireTaskPathParams(t *testing.T, params map[string]string, r *Scenario) {
	t.Helper()
	for _, st := range r.Stages {
		for _, c := range st.Checks {
			switch {
			case c.SnapshotFile != nil:
				require.Equal(t, params["backupPath"], c.SnapshotFile.Path, "stage %s, check %s", st.Name, c.Name)
			case c.RestoredDataDir != nil:
				require.Equal(t, params["restoreDir"], c.RestoredDataDir.Path, "stage %s, check %s", st.Name, c.Name)
				require.Equal(t, params["snapshotPath"], c.RestoredDataDir.Snapshot, "stage %s, check %s", st.Name, c.Name)
			}
		}
	}
}
