// Package shim holds one container of a lab node's static pod, as
// containerd-shim does on a kubeadm node. It is small on purpose: it runs
// as its own executable, ckat-shim, one process per running container, so
// it imports nothing of Kubernetes.
package shim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ckat/ckat/internal/atomicfile"
	"github.com/ckat/ckat/internal/crilog"
)

// A container's process does not hang from the agent: as on a containerd
// node, where each container has a containerd-shim that holds its output
// and waits for it, each run here has a shim (`ckat-shim __shim SCRATCH`)
// in a session of its own. The shim starts `ckat-shim __container`, copies its output
// into the CRI log, and writes the exit status to SCRATCH/exit.json when
// it ends. When the agent stops or dies the shims and containers keep
// running (the node's PID 1 reaps them), and the next agent adopts them
// from SCRATCH/state.json, as the kubelet takes over the containers its
// runtime reports.

// Files in a run's scratch directory.
const (
	SpecFile  = "spec.json"
	StateFile = "state.json"
	ExitFile  = "exit.json"
)

// The shim's two commands: Command holds one container (`__shim
// SCRATCH`), and ContainerCommand, which the shim runs, becomes the
// container's process (`__container SPEC.json`). ckat-shim and ckat both
// answer them.
const (
	Command          = "__shim"
	ContainerCommand = "__container"
)

// Executable is the file name of the shim's own executable, installed
// beside ckat.
const Executable = "ckat-shim"

// Find returns dir's ckat-shim when it is an executable file, or "": ckat
// then runs the shim's commands itself.
func Find(dir string) string {
	p := filepath.Join(dir, Executable)
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return ""
	}
	return p
}

// RunCommand runs args when they are one of the shim's commands and
// returns the exit code; ok is false for any other arguments.
func RunCommand(args []string) (code int, ok bool) {
	if len(args) != 2 {
		return 0, false
	}
	switch args[0] {
	case Command:
		if err := Main(args[1]); err != nil {
			fmt.Fprintln(os.Stderr, "shim:", err)
			return 1, true
		}
		return 0, true
	case ContainerCommand:
		// It returns only when the container's process could not be
		// exec'd.
		fmt.Fprintln(os.Stderr, "container:", ContainerMain(args[1]))
		return 127, true
	}
	return 0, false
}

// RunRecord is what a shim records of its run in state.json: the pod and
// container it belongs to (the agent adopts it only for the same pod UID,
// which hashes the manifest), the run's number, and its processes.
type RunRecord struct {
	PodKey    string    `json:"podKey"`
	PodUID    string    `json:"podUID"`
	Container string    `json:"container"`
	Restart   int       `json:"restart"`
	ID        string    `json:"id,omitempty"` // the run's container ID for the CRI
	LogPath   string    `json:"logPath"`
	ShimPID   int       `json:"shimPID,omitempty"`
	PID       int       `json:"pid,omitempty"`
	StartedAt time.Time `json:"startedAt,omitempty"`
}

// ExitRecord is how the container ended, in exit.json.
type ExitRecord struct {
	ExitCode   int       `json:"exitCode"`
	FinishedAt time.Time `json:"finishedAt"`
}

// ReadyFD is the shim's descriptor on which it reports "ok PID" once
// the container's command runs, or the error that kept it from running.
const ReadyFD = 3

// Main is the body of `ckat-shim __shim SCRATCH`. It returns when the
// container has exited and its exit status is recorded.
func Main(scratch string) error {
	ready := os.NewFile(ReadyFD, "ready")
	// Signals the node sends every process at shutdown are for the
	// container; the shim stays until the container is gone. Caught, not
	// ignored, so that the container's command gets them as usual.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGPIPE)
	go func() {
		for range sigs {
		}
	}()
	rec, err := ReadRunRecord(scratch)
	if err != nil {
		return reportShim(ready, err)
	}
	logw, err := createContainerLog(rec.LogPath)
	if err != nil {
		return reportShim(ready, err)
	}
	cmd, err := startContainerProcess(filepath.Join(scratch, SpecFile), logw)
	if err != nil {
		var se *StartError
		msg := err.Error()
		if !errors.As(err, &se) {
			msg = "failed to start container: " + msg
		}
		logw.write(crilog.Stderr, crilog.TagFull, []byte(msg))
		logw.close(0)
		return reportShim(ready, errors.New(msg))
	}
	rec.ShimPID, rec.PID, rec.StartedAt = os.Getpid(), cmd.Process.Pid, time.Now()
	if err := WriteJSON(filepath.Join(scratch, StateFile), rec); err != nil {
		_ = syscall.Kill(-rec.PID, syscall.SIGKILL)
		return reportShim(ready, err)
	}
	if ready != nil {
		fmt.Fprintf(ready, "ok %d\n", rec.PID)
		ready.Close()
	}
	_ = cmd.Wait()
	// Anything the container left in its process group goes with it.
	_ = syscall.Kill(-rec.PID, syscall.SIGKILL)
	logw.close(time.Second)
	code := cmd.ProcessState.ExitCode()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		code = 128 + int(ws.Signal())
	}
	return WriteJSON(filepath.Join(scratch, ExitFile), ExitRecord{ExitCode: code, FinishedAt: time.Now()})
}

// reportShim writes err to the ready pipe and returns it.
func reportShim(ready *os.File, err error) error {
	if ready != nil {
		fmt.Fprintf(ready, "%s\n", err)
		ready.Close()
	}
	return err
}

// startContainerProcess starts `ckat-shim __container SPEC` in a new mount
// namespace and process group with its output going to logw, and waits
// until it has exec'd the container's command or failed to.
func startContainerProcess(specPath string, logw *criLogWriter) (*exec.Cmd, error) {
	data, err := os.ReadFile(specPath)
	if err != nil {
		return nil, fmt.Errorf("reading container spec: %w", err)
	}
	var spec Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, fmt.Errorf("container spec %s: %w", specPath, err)
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	stdout, err := logw.pipe(crilog.Stdout)
	if err != nil {
		return nil, err
	}
	defer stdout.Close()
	stderr, err := logw.pipe(crilog.Stderr)
	if err != nil {
		return nil, err
	}
	defer stderr.Close()
	errR, errW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer errR.Close()
	cmd := exec.Command(self, ContainerCommand, specPath)
	cmd.Env = spec.Env
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.ExtraFiles = []*os.File{errW}
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS, Setpgid: true}
	err = cmd.Start()
	errW.Close()
	if err != nil {
		return nil, fmt.Errorf("starting container: %w", err)
	}
	msg, _ := io.ReadAll(errR)
	if len(msg) > 0 {
		_ = cmd.Wait()
		return nil, &StartError{Msg: strings.TrimSpace(string(msg))}
	}
	return cmd, nil
}

// ReadRunRecord reads a run's state.json.
func ReadRunRecord(scratch string) (RunRecord, error) {
	var rec RunRecord
	data, err := os.ReadFile(filepath.Join(scratch, StateFile))
	if err != nil {
		return rec, fmt.Errorf("reading the container's record: %w", err)
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return rec, fmt.Errorf("the container's record %s: %w", filepath.Join(scratch, StateFile), err)
	}
	return rec, nil
}

// ReadExitRecord reads a run's exit.json; ok is false when the shim
// ended without writing one.
func ReadExitRecord(scratch string) (ExitRecord, bool) {
	var ex ExitRecord
	data, err := os.ReadFile(filepath.Join(scratch, ExitFile))
	if err != nil || json.Unmarshal(data, &ex) != nil {
		return ex, false
	}
	return ex, true
}

// WriteJSON writes v to path atomically.
func WriteJSON(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// Alive reports whether pid is still the shim of scratch: a live
// process whose command line is `... __shim SCRATCH`.
func Alive(pid int, scratch string) bool {
	if pid <= 0 {
		return false
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false
	}
	args := strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
	return len(args) == 3 && args[1] == Command && args[2] == scratch
}

// StartError is a container that could not be started (bad command, a
// volume that cannot be bound); the kubelet's reason is StartError.
type StartError struct{ Msg string }

func (e *StartError) Error() string { return e.Msg }
