package agent

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

	"github.com/ckat/ckat/internal/crilog"
)

// A container's process does not hang from the agent: as on a containerd
// node, where each container has a containerd-shim that holds its output
// and waits for it, each run here has a shim (`ckat __shim SCRATCH`) in a
// session of its own. The shim starts `ckat __container`, copies its output
// into the CRI log, and writes the exit status to SCRATCH/exit.json when
// it ends. When the agent stops or dies the shims and containers keep
// running (the node's PID 1 reaps them), and the next agent adopts them
// from SCRATCH/state.json, as the kubelet takes over the containers its
// runtime reports.

// Files in a run's scratch directory.
const (
	specFile  = "spec.json"
	stateFile = "state.json"
	exitFile  = "exit.json"
)

// ShimCommand is the hidden ckat command that runs one container's shim.
const ShimCommand = "__shim"

// runRecord is what a shim records of its run in state.json: the pod and
// container it belongs to (the agent adopts it only for the same pod UID,
// which hashes the manifest), the run's number, and its processes.
type runRecord struct {
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

// exitRecord is how the container ended, in exit.json.
type exitRecord struct {
	ExitCode   int       `json:"exitCode"`
	FinishedAt time.Time `json:"finishedAt"`
}

// shimReadyFD is the shim's descriptor on which it reports "ok PID" once
// the container's command runs, or the error that kept it from running.
const shimReadyFD = 3

// ShimMain is the body of `ckat __shim SCRATCH`. It returns when the
// container has exited and its exit status is recorded.
func ShimMain(scratch string) error {
	ready := os.NewFile(shimReadyFD, "ready")
	// Signals the node sends every process at shutdown are for the
	// container; the shim stays until the container is gone. Caught, not
	// ignored, so that the container's command gets them as usual.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGPIPE)
	go func() {
		for range sigs {
		}
	}()
	rec, err := readRunRecord(scratch)
	if err != nil {
		return reportShim(ready, err)
	}
	logw, err := createContainerLog(rec.LogPath)
	if err != nil {
		return reportShim(ready, err)
	}
	cmd, err := startContainerProcess(filepath.Join(scratch, specFile), logw)
	if err != nil {
		var se *startError
		msg := err.Error()
		if !errors.As(err, &se) {
			msg = "failed to start container: " + msg
		}
		logw.write(crilog.Stderr, crilog.TagFull, []byte(msg))
		logw.close(0)
		return reportShim(ready, errors.New(msg))
	}
	rec.ShimPID, rec.PID, rec.StartedAt = os.Getpid(), cmd.Process.Pid, time.Now()
	if err := writeJSON(filepath.Join(scratch, stateFile), rec); err != nil {
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
	return writeJSON(filepath.Join(scratch, exitFile), exitRecord{ExitCode: code, FinishedAt: time.Now()})
}

// reportShim writes err to the ready pipe and returns it.
func reportShim(ready *os.File, err error) error {
	if ready != nil {
		fmt.Fprintf(ready, "%s\n", err)
		ready.Close()
	}
	return err
}

// startContainerProcess starts `ckat __container SPEC` in a new mount
// namespace and process group with its output going to logw, and waits
// until it has exec'd the container's command or failed to.
func startContainerProcess(specPath string, logw *criLogWriter) (*exec.Cmd, error) {
	data, err := os.ReadFile(specPath)
	if err != nil {
		return nil, fmt.Errorf("reading container spec: %w", err)
	}
	var spec containerSpec
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
	cmd := exec.Command(self, "__container", specPath)
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
		return nil, &startError{strings.TrimSpace(string(msg))}
	}
	return cmd, nil
}

// readRunRecord reads a run's state.json.
func readRunRecord(scratch string) (runRecord, error) {
	var rec runRecord
	data, err := os.ReadFile(filepath.Join(scratch, stateFile))
	if err != nil {
		return rec, fmt.Errorf("reading the container's record: %w", err)
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return rec, fmt.Errorf("the container's record %s: %w", filepath.Join(scratch, stateFile), err)
	}
	return rec, nil
}

// readExitRecord reads a run's exit.json; ok is false when the shim
// ended without writing one.
func readExitRecord(scratch string) (exitRecord, bool) {
	var ex exitRecord
	data, err := os.ReadFile(filepath.Join(scratch, exitFile))
	if err != nil || json.Unmarshal(data, &ex) != nil {
		return ex, false
	}
	return ex, true
}

// writeJSON writes v to path atomically.
func writeJSON(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(path, data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// shimAlive reports whether pid is still the shim of scratch: a live
// process whose command line is `... __shim SCRATCH`.
func shimAlive(pid int, scratch string) bool {
	if pid <= 0 {
		return false
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false
	}
	args := strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
	return len(args) == 3 && args[1] == ShimCommand && args[2] == scratch
}
