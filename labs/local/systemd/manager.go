package systemd

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// TimeoutStopSec is how long a stop waits for the service after SIGTERM
// before SIGKILL (systemd's DefaultTimeoutStopSec).
const TimeoutStopSec = 90 * time.Second

// Status is what systemctl shows of the unit.
type Status struct {
	Unit          string   `json:"unit"`
	FragmentPath  string   `json:"fragmentPath"`
	DropIns       []string `json:"dropIns,omitempty"`
	Description   string   `json:"description"`
	Documentation string   `json:"documentation,omitempty"`
	ExecStart     string   `json:"execStart"`
	// ActiveState and SubState as systemd names them: active/running,
	// activating/auto-restart, deactivating/stop-sigterm,
	// inactive/dead, failed/failed.
	ActiveState string    `json:"activeState"`
	SubState    string    `json:"subState"`
	Result      string    `json:"result"` // success, exit-code, signal, resources
	Since       time.Time `json:"since"`
	// ActiveEnter is when the last run started, for the Duration line.
	ActiveEnter time.Time `json:"activeEnter"`
	MainPID     int       `json:"mainPID,omitempty"`
	// Last* describe the last run's end: its PID, "exited" or "killed",
	// and "1/FAILURE" or "KILL".
	LastPID    int           `json:"lastPID,omitempty"`
	LastCode   string        `json:"lastCode,omitempty"`
	LastStatus string        `json:"lastStatus,omitempty"`
	CPU        time.Duration `json:"cpu,omitempty"`
	NeedReload bool          `json:"needReload,omitempty"`
	Restarts   int           `json:"restarts,omitempty"`
}

// Manager runs the kubelet's unit in the node's PID 1.
type Manager struct {
	// Binary is the executable started for ExecStart's program (ckat,
	// which runs as the kubelet by argv[0]); BaseEnv is added to the
	// unit's environment.
	Binary  string
	BaseEnv []string
	Journal *Journal
	// Log receives the service's output too (the node's log).
	Log io.Writer

	job sync.Mutex // one start, stop or restart at a time

	mu      sync.Mutex
	unit    *Unit
	st      Status
	exited  chan struct{} // closes when the running main process is reaped
	timer   *time.Timer
	stopped bool // the running process is being stopped on request
}

// Load reads the unit and returns its load error, if any.
func (m *Manager) Load() error {
	u, err := LoadUnit()
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		return fmt.Errorf("loading %s: %w", m.st.Unit, err)
	}
	m.unit = u
	if m.st.ActiveState == "" {
		m.st.ActiveState, m.st.SubState, m.st.Since = "inactive", "dead", time.Now()
	}
	return nil
}

// note writes systemd's own journal entry about the unit.
func (m *Manager) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	m.Journal.Write(Entry{Ident: "systemd", PID: 1, Unit: m.unitName(), Message: msg})
	if m.Log != nil {
		fmt.Fprintf(m.Log, "systemd: %s\n", msg)
	}
}

func (m *Manager) unitName() string {
	if m.unit != nil {
		return m.unit.Name
	}
	return "kubelet.service"
}

// title is "kubelet.service - DESCRIPTION", as systemd 252 logs a unit.
func (m *Manager) title() string {
	if m.unit == nil || m.unit.Description == "" {
		return m.unitName()
	}
	return m.unitName() + " - " + m.unit.Description
}

// Start starts the service unless it runs.
func (m *Manager) Start() error {
	m.job.Lock()
	defer m.job.Unlock()
	return m.start()
}

func (m *Manager) start() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.unit == nil {
		return fmt.Errorf("Unit %s not found.", m.unitName())
	}
	if m.st.MainPID != 0 {
		return nil
	}
	m.stopped = false
	if m.timer != nil {
		m.timer.Stop()
		m.timer = nil
	}
	u := m.unit
	env, err := u.Env()
	var argv []string
	if err == nil {
		argv, err = u.Argv(env)
	}
	if err != nil {
		m.note("%s: %v", u.Name, err)
		m.note("%s: Failed with result 'resources'.", u.Name)
		m.note("Failed to start %s.", m.title())
		m.setState("failed", "failed", "resources")
		return fmt.Errorf("Job for %s failed because of unavailable resources or another system error.\nSee \"systemctl status %s\" and \"journalctl -xeu %s\" for details.", u.Name, u.Name, u.Name)
	}
	m.st.ActiveEnter = time.Now()
	m.note("Started %s.", m.title())
	if filepath.Base(argv[0]) != "kubelet" {
		// Only the kubelet is installed on this node.
		m.note("%s: Failed to locate executable %s: No such file or directory", u.Name, argv[0])
		m.note("%s: Failed at step EXEC spawning %s: No such file or directory", u.Name, argv[0])
		m.ended(0, "exited", "203/EXEC", 0)
		return nil
	}
	pid, err := m.spawn(argv, env)
	if err != nil {
		m.note("%s: Failed at step EXEC spawning %s: %v", u.Name, argv[0], err)
		m.ended(0, "exited", "203/EXEC", 0)
		return nil
	}
	m.st.MainPID, m.st.LastPID, m.st.LastCode, m.st.LastStatus, m.st.CPU = pid, 0, "", "", 0
	m.exited = make(chan struct{})
	m.setState("active", "running", "success")
	return nil
}

// spawn starts the service's process with its output going to the
// journal. The process is reaped by the node's PID 1, which calls Reaped.
func (m *Manager) spawn(argv []string, env map[string]string) (int, error) {
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return 0, err
	}
	defer devnull.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer w.Close()
	envv := append([]string{}, m.BaseEnv...)
	for k, v := range env {
		envv = append(envv, k+"="+v)
	}
	proc, err := os.StartProcess(m.Binary, argv, &os.ProcAttr{Dir: "/", Env: envv, Files: []*os.File{devnull, w, w}})
	if err != nil {
		r.Close()
		return 0, err
	}
	pid := proc.Pid
	_ = proc.Release()
	go func() {
		defer r.Close()
		m.Journal.Copy(r, "kubelet", pid, m.unitName(), m.Log)
	}()
	return pid, nil
}

// setState records a state change. Called with m.mu held.
func (m *Manager) setState(active, sub, result string) {
	m.st.ActiveState, m.st.SubState, m.st.Result, m.st.Since = active, sub, result, time.Now()
}

// Reaped tells the manager that the node's PID 1 reaped pid; it returns
// whether that was the service's main process.
func (m *Manager) Reaped(pid int, ws unix.WaitStatus, ru *unix.Rusage) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if pid == 0 || pid != m.st.MainPID {
		return false
	}
	code, status := "exited", fmt.Sprintf("%d/%s", ws.ExitStatus(), exitName(ws.ExitStatus()))
	if ws.Signaled() {
		code, status = "killed", signalName(ws.Signal())
	}
	var cpu time.Duration
	if ru != nil {
		cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	m.ended(pid, code, status, cpu)
	return true
}

// ended records the end of the main process and, unless it was stopped
// on request, schedules the restart Restart=always asks for. Called with
// m.mu held.
func (m *Manager) ended(pid int, code, status string, cpu time.Duration) {
	name := m.unitName()
	m.st.MainPID, m.st.LastPID, m.st.LastCode, m.st.LastStatus, m.st.CPU = 0, pid, code, status, cpu
	if m.exited != nil {
		close(m.exited)
		m.exited = nil
	}
	clean := status == "0/SUCCESS" || (m.stopped && status == "TERM")
	result := "success"
	switch {
	case clean:
		m.note("%s: Deactivated successfully.", name)
	case code == "killed":
		result = "signal"
		m.note("%s: Main process exited, code=killed, status=%s", name, signalNumber(status))
		m.note("%s: Failed with result 'signal'.", name)
	default:
		result = "exit-code"
		m.note("%s: Main process exited, code=exited, status=%s", name, status)
		m.note("%s: Failed with result 'exit-code'.", name)
	}
	if m.stopped {
		m.note("Stopped %s.", m.title())
	}
	if cpu > 0 {
		m.note("%s: Consumed %s CPU time.", name, formatSpan(cpu, time.Millisecond))
	}
	if m.stopped {
		m.setState("inactive", "dead", result)
		return
	}
	m.setState("activating", "auto-restart", result)
	delay := 100 * time.Millisecond
	if m.unit != nil {
		delay = m.unit.RestartSec
	}
	m.timer = time.AfterFunc(delay, m.autoRestart)
}

// autoRestart is Restart=always's restart job.
func (m *Manager) autoRestart() {
	m.job.Lock()
	defer m.job.Unlock()
	m.mu.Lock()
	if m.st.SubState != "auto-restart" {
		m.mu.Unlock()
		return
	}
	m.st.Restarts++
	m.note("%s: Scheduled restart job, restart counter is at %d.", m.unitName(), m.st.Restarts)
	m.note("Stopped %s.", m.title())
	m.mu.Unlock()
	_ = m.start()
}

// Stop stops the service: SIGTERM, then SIGKILL after timeout.
func (m *Manager) Stop(timeout time.Duration) error {
	m.job.Lock()
	defer m.job.Unlock()
	return m.stop(timeout)
}

// stop reports whether the service ended within timeout after SIGTERM.
func (m *Manager) stop(timeout time.Duration) error {
	m.mu.Lock()
	if m.timer != nil {
		m.timer.Stop()
		m.timer = nil
	}
	pid, exited := m.st.MainPID, m.exited
	if pid == 0 {
		if m.st.ActiveState != "inactive" {
			if m.st.SubState == "auto-restart" {
				m.note("Stopped %s.", m.title())
			}
			m.setState("inactive", "dead", m.st.Result)
		}
		m.mu.Unlock()
		return nil
	}
	m.stopped = true
	m.note("Stopping %s...", m.title())
	m.setState("deactivating", "stop-sigterm", m.st.Result)
	m.mu.Unlock()
	_ = unix.Kill(pid, unix.SIGTERM)
	select {
	case <-exited:
		return nil
	case <-time.After(timeout):
	}
	m.mu.Lock()
	m.note("%s: State 'stop-sigterm' timed out. Killing.", m.unitName())
	m.mu.Unlock()
	_ = unix.Kill(pid, unix.SIGKILL)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
	}
	return fmt.Errorf("%s did not stop within %s", m.unitName(), timeout)
}

// Restart stops the service if it runs and starts it.
func (m *Manager) Restart() error {
	m.job.Lock()
	defer m.job.Unlock()
	if err := m.stop(TimeoutStopSec); err != nil {
		return err
	}
	return m.start()
}

// Reload reads the unit files again (daemon-reload).
func (m *Manager) Reload() error {
	start := time.Now()
	m.Journal.Write(Entry{Ident: "systemd", PID: 1, Message: "Reloading."})
	u, err := LoadUnit()
	if err != nil {
		return fmt.Errorf("Failed to reload daemon: %v", err)
	}
	m.mu.Lock()
	m.unit = u
	m.mu.Unlock()
	m.Journal.Write(Entry{Ident: "systemd", PID: 1, Message: fmt.Sprintf("Reloading finished in %d ms.", max(1, time.Since(start).Milliseconds()))})
	return nil
}

// Status returns the unit's status.
func (m *Manager) Status() (Status, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.unit == nil {
		return Status{}, false
	}
	st := m.st
	u := m.unit
	st.Unit, st.FragmentPath, st.DropIns = u.Name, u.FragmentPath, u.DropIns
	st.Description, st.Documentation, st.ExecStart = u.Description, u.Documentation, u.ExecStart
	st.NeedReload = u.Changed()
	return st, true
}
