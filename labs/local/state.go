package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/prometheus/procfs"
)

// state is run/state.json: where a lab's node runs and how to reach it.
type state struct {
	// PID is the host PID of the node's PID 1 (`ckat __node`).
	PID int `json:"pid"`
	// PIDStartTime is field 22 of /proc/PID/stat when the node started; a
	// PID reused by another process after a reboot has a different one.
	PIDStartTime uint64 `json:"pidStartTime"`
	// PIDNamespace is the node's PID namespace (readlink /proc/PID/ns/pid).
	PIDNamespace string `json:"pidNamespace,omitempty"`
	APIPort      int    `json:"apiPort"`
	EtcdPort     int    `json:"etcdPort"`
	NodeIP       string `json:"nodeIP"`
	// KubeAPIServer is the host path of the API server executable the
	// lab was made with; Start uses it again while it exists.
	KubeAPIServer string `json:"kubeAPIServer,omitempty"`
	// Stopped is true after a clean stop.
	Stopped bool `json:"stopped"`
}

func statePath(labDir string) string { return filepath.Join(labDir, "run", "state.json") }

// readState reads a lab's state; a lab without one (its creation did not
// get far) returns the zero state and no error.
func readState(labDir string) (state, error) {
	var st state
	data, err := os.ReadFile(statePath(labDir))
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("reading lab state: %w", err)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return st, fmt.Errorf("%s is damaged: %w", statePath(labDir), err)
	}
	return st, nil
}

// writeState writes a lab's state atomically.
func writeState(labDir string, st state) error {
	data, _ := json.MarshalIndent(st, "", "  ")
	path := statePath(labDir)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing lab state: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing lab state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing lab state: %w", err)
	}
	return nil
}

// running reports whether the node process the state names is alive: the
// PID exists, is not a zombie, and started when the state says.
func (st state) running() bool {
	if st.PID <= 0 {
		return false
	}
	start, zombie, err := procStartTime(st.PID)
	return err == nil && !zombie && start == st.PIDStartTime
}

// procStartTime returns a process's start time in clock ticks after boot
// (field 22 of /proc/PID/stat) and whether it is a zombie.
func procStartTime(pid int) (start uint64, zombie bool, err error) {
	st, err := procStat(pid)
	if err != nil {
		return 0, false, err
	}
	return st.Starttime, st.State == "Z", nil
}

// procStat reads /proc/PID/stat.
func procStat(pid int) (procfs.ProcStat, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return procfs.ProcStat{}, err
	}
	return p.Stat()
}

// pidNamespace returns the PID namespace of a process, as
// readlink /proc/PID/ns/pid prints it ("pid:[4026532...]").
func pidNamespace(pid int) (string, error) {
	return os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid))
}

// ProcessesInNamespace returns the host PIDs of the live (non-zombie)
// processes in the PID namespace ns (as pidNamespace returns it).
func ProcessesInNamespace(ns string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if got, err := pidNamespace(pid); err != nil || got != ns {
			continue
		}
		if _, zombie, err := procStartTime(pid); err != nil || zombie {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}
