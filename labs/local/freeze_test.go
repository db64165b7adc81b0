package local

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParentsFirst(t *testing.T) {
	// A node whose PIDs wrapped around: its init is 300, the agent 301,
	// a shim forked after the wrap 50, and the shim's kube-apiserver 40.
	parents := map[int]int{300: 299, 301: 300, 50: 301, 40: 50, 302: 301}
	got := parentsFirst([]int{40, 50, 300, 301, 302}, func(pid int) int { return parents[pid] })
	require.Equal(t, []int{300, 301, 50, 302, 40}, got)
}

func TestParentsFirstRealProcesses(t *testing.T) {
	cmd := exec.Command("sh", "-c", "sleep 30 & wait")
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var child int
	require.Eventually(t, func() bool {
		out, err := exec.Command("pgrep", "-P", strconv.Itoa(cmd.Process.Pid)).Output()
		if err != nil {
			return false
		}
		child, _ = strconv.Atoi(strings.TrimSpace(string(out)))
		return child > 0
	}, 5*time.Second, 10*time.Millisecond, "sh started sleep")
	require.Equal(t, cmd.Process.Pid, procParent(child))
	require.Equal(t, []int{cmd.Process.Pid, child}, parentsFirst([]int{child, cmd.Process.Pid}, procParent))
	require.Equal(t, 0, procParent(-1), "a process that is not there has no parent")
}
