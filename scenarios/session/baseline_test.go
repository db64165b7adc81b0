package session

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/labs/local/kubeadm"
	"github.com/ckat/ckat/scenarios"
)

// hostNode runs commands on the host, as a node would run them.
type hostNode struct{ dirNode }

func (hostNode) Exec(ctx context.Context, c labs.Command) error {
	cmd := exec.CommandContext(ctx, c.Args[0], c.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.Stdin, c.Stdout, c.Stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return &labs.ExitError{Args: c.Args, Code: ee.ExitCode()}
	}
	return err
}

// waitExited returns once no process runs the command, and says which
// still runs when it times out.
func TestWaitExited(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	require.NoError(t, err)
	name := "ckat-test-sleeper"
	bin := filepath.Join(t.TempDir(), name)
	data, err := os.ReadFile(sleep)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(bin, data, 0o755))
	proc := exec.Command(bin, "60")
	require.NoError(t, proc.Start())
	exited := make(chan struct{})
	go func() { _ = proc.Wait(); close(exited) }()
	t.Cleanup(func() { _ = proc.Process.Kill(); <-exited })

	node := hostNode{}
	commands := map[string]bool{name: true}
	err = waitExited(context.Background(), node, commands, time.Second)
	require.ErrorContains(t, err, name+" still runs")

	go func() { time.Sleep(300 * time.Millisecond); _ = proc.Process.Kill() }()
	began := time.Now()
	require.NoError(t, waitExited(context.Background(), node, commands, 10*time.Second))
	require.Less(t, time.Since(began), 5*time.Second)
}

// The processes to wait for are the manifests' commands.
func TestAddCommandsFromKubeadmManifests(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, kubeadm.Generate(root, kubeadm.Config{NodeName: "controlplane", NodeIP: "172.30.7.10"}))
	got := map[string]bool{}
	for _, f := range []string{"etcd.yaml", "kube-apiserver.yaml"} {
		data, err := os.ReadFile(filepath.Join(root, "etc/kubernetes/manifests", f))
		require.NoError(t, err)
		addCommands(got, data)
	}
	addCommands(got, []byte("not: [yaml"))
	require.Equal(t, map[string]bool{"etcd": true, "kube-apiserver": true}, got)
}

// Setup that breaks the API server on purpose leaves it not ready; reset
// then does not wait for it.
func TestAPIServerReadyAfter(t *testing.T) {
	wait := func(c string) scenarios.Step { return scenarios.Step{WaitFor: &scenarios.WaitForStep{Condition: c}} }
	ns := scenarios.Step{Namespace: &scenarios.NamespaceStep{Name: "a"}}
	cmd := scenarios.Step{Command: &scenarios.CommandStep{Script: "true"}}
	require.True(t, apiServerReadyAfter(nil))
	require.True(t, apiServerReadyAfter([]scenarios.Step{wait(scenarios.ConditionAPIServerReady), ns, cmd}))
	require.False(t, apiServerReadyAfter([]scenarios.Step{ns, cmd, wait(scenarios.ConditionAPIServerNotReady)}))
	require.True(t, apiServerReadyAfter([]scenarios.Step{wait(scenarios.ConditionAPIServerNotReady), ns}))
}
