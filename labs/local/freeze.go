package local

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"syscall"
	"time"

	"github.com/ckat/ckat/labs"
)

var _ labs.Freezer = (*lab)(nil)

// freezePasses bounds how often Freeze lists the node's processes again
// to catch one forked while it was stopping the others.
const freezePasses = 20

// Freeze pauses every process of the node with SIGSTOP: the kernel stops
// it whatever it does, it keeps its memory and uses no CPU. A local lab's
// processes are no cgroup's own (the node is a process tree in namespaces,
// run as root or as an unprivileged user alike), so the freezer is the
// signal, which works for both. Supervisors go first (parents before their
// children: the node's init, then its agent and the shims), so none of
// them sees its children stop; Freeze lists the processes again until a
// pass finds none still running.
func (l *lab) Freeze(ctx context.Context) error {
	ns, err := l.namespace()
	if err != nil {
		return err
	}
	for range freezePasses {
		pids := parentsFirst(ProcessesInNamespace(ns), procParent)
		stopped := 0
		for _, pid := range pids {
			if procStopped(pid) {
				continue
			}
			if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil && !errors.Is(err, syscall.ESRCH) {
				return fmt.Errorf("freezing lab %q (PID %d): %w", l.name, pid, err)
			}
			stopped++
		}
		if stopped == 0 {
			return nil
		}
		if err := waitStopped(ctx, pids); err != nil {
			return fmt.Errorf("freezing lab %q: %w", l.name, err)
		}
	}
	return fmt.Errorf("freezing lab %q: its processes kept changing", l.name)
}

// Thaw resumes the node's processes with SIGCONT, servers first
// (children before their parents) and the supervisors last, so that the
// agent's probes find etcd and the API server running again.
func (l *lab) Thaw(context.Context) error {
	ns, err := l.namespace()
	if err != nil {
		return err
	}
	if err := thawNamespace(ns); err != nil {
		return fmt.Errorf("thawing lab %q: %w", l.name, err)
	}
	return nil
}

// thawNamespace sends SIGCONT to every process of the PID namespace ns,
// children before their parents. Stopping a node thaws it first, so that
// a frozen node stops as gracefully as a running one.
func thawNamespace(ns string) error {
	pids := parentsFirst(ProcessesInNamespace(ns), procParent)
	slices.Reverse(pids)
	for _, pid := range pids {
		if err := syscall.Kill(pid, syscall.SIGCONT); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("PID %d: %w", pid, err)
		}
	}
	return nil
}

// Frozen reports whether the node is frozen: whether its init is
// stopped. Freeze stops the init first and Thaw resumes it last, and
// nothing inside the node can stop it (the kernel ignores signals sent to
// a PID namespace's init from within, SIGSTOP included), so its state is
// the node's: one read of /proc, where listing the node's processes would
// read every process's of the machine, and the instructor's grid asks
// this of every lab of a class each time it changes.
func (l *lab) Frozen(context.Context) (bool, error) {
	st, err := readState(l.dir)
	if err != nil {
		return false, fmt.Errorf("lab %q: %w", l.name, err)
	}
	if !st.running() {
		return false, nil
	}
	return procStopped(st.PID), nil
}

// namespace returns the running node's PID namespace.
func (l *lab) namespace() (string, error) {
	st, err := readState(l.dir)
	if err != nil {
		return "", fmt.Errorf("lab %q: %w", l.name, err)
	}
	if !st.running() {
		return "", notRunning(l.name, st)
	}
	if st.PIDNamespace != "" {
		return st.PIDNamespace, nil
	}
	return pidNamespace(st.PID)
}

// waitStopped waits until each of pids is stopped or gone.
func waitStopped(ctx context.Context, pids []int) error {
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range pids {
		for !procStopped(pid) && procAlive(pid) {
			if time.Now().After(deadline) {
				return fmt.Errorf("PID %d did not stop", pid)
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			time.Sleep(time.Millisecond)
		}
	}
	return nil
}

// parentsFirst orders pids so that each process comes after its parent
// (by depth in the process tree among pids, then PID), with parentOf
// giving a process's parent. PIDs alone would not do: once the kernel's
// PIDs wrap around, a child can have a lower one than its parent.
func parentsFirst(pids []int, parentOf func(int) int) []int {
	parent := make(map[int]int, len(pids))
	for _, pid := range pids {
		parent[pid] = parentOf(pid)
	}
	depth := make(map[int]int, len(pids))
	for _, pid := range pids {
		d := 0
		// The walk stays inside pids; len(pids) bounds it against a cycle
		// that PID reuse could make of stale reads.
		for p := parent[pid]; d < len(pids); p = parent[p] {
			if _, in := parent[p]; !in {
				break
			}
			d++
		}
		depth[pid] = d
	}
	out := slices.Clone(pids)
	slices.SortFunc(out, func(a, b int) int {
		if depth[a] != depth[b] {
			return depth[a] - depth[b]
		}
		return a - b
	})
	return out
}

// procParent is the parent's PID (field 4 of /proc/PID/stat); 0 for a
// process gone.
func procParent(pid int) int {
	st, err := procStat(pid)
	if err != nil {
		return 0
	}
	return st.PPID
}

// procStopped reports whether a process is stopped by a signal (state T
// in /proc/PID/stat).
func procStopped(pid int) bool { return procState(pid) == "T" }

func procAlive(pid int) bool {
	s := procState(pid)
	return s != "" && s != "Z" && s != "X"
}

// procState is the state letter (field 3 of /proc/PID/stat); empty for a
// process gone.
func procState(pid int) string {
	st, err := procStat(pid)
	if err != nil {
		return ""
	}
	return st.State
}

// CPUTime is the CPU time (user and system) the running node's processes
// have used so far, read from /proc: the figure behind a lab's idle CPU.
// Processes that ended are not counted, so measure over an interval in
// which the node's processes stay.
func CPUTime(labDir string) (time.Duration, error) {
	st, err := readState(labDir)
	if err != nil {
		return 0, err
	}
	if !st.running() {
		return 0, fmt.Errorf("lab at %s is not running", labDir)
	}
	ns := st.PIDNamespace
	if ns == "" {
		if ns, err = pidNamespace(st.PID); err != nil {
			return 0, err
		}
	}
	var seconds float64
	for _, pid := range ProcessesInNamespace(ns) {
		if st, err := procStat(pid); err == nil {
			seconds += st.CPUTime() // utime and stime
		}
	}
	return time.Duration(seconds * float64(time.Second)), nil
}
