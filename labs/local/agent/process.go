package agent

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/ckat/ckat/internal/crilog"
)

// process is one run of a container.
type process struct {
	cmd     *exec.Cmd
	log     *criLogWriter
	started time.Time
	exited  chan struct{} // closed when the process has been reaped
	state   *os.ProcessState
}

// startError is a container that could not be started (bad command, a
// volume that cannot be bound); the kubelet's reason is StartError.
type startError struct{ msg string }

func (e *startError) Error() string { return e.msg }

// containerSpecFor builds the __container spec of one run.
func (a *agent) containerSpecFor(pod *corev1.Pod, c *corev1.Container, root string, mounts []bindMount) containerSpec {
	env := containerEnv(pod, c, a.cfg)
	argv := expandArgs(append(append([]string{}, c.Command...), c.Args...), env)
	s := containerSpec{Root: root, Argv: argv, Env: env, WorkingDir: c.WorkingDir, Mounts: mounts}
	if exe, ok := a.cfg.Binaries[filepath.Base(argv[0])]; ok {
		s.Executable = exe
		s.Argv[0] = filepath.Base(argv[0])
	}
	return s
}

// startProcess starts `ckat __container` in a new mount namespace with
// its output going to the run's log, and waits until it has exec'd the
// container's command or failed to.
func (a *agent) startProcess(scratch string, spec containerSpec, logw *criLogWriter) (*process, error) {
	if err := os.MkdirAll(scratch, 0o700); err != nil {
		return nil, fmt.Errorf("creating container directory: %w", err)
	}
	specPath := filepath.Join(scratch, "spec.json")
	data, _ := json.Marshal(spec)
	if err := os.WriteFile(specPath, data, 0o600); err != nil {
		return nil, fmt.Errorf("writing container spec: %w", err)
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
	cmd := exec.Command(a.self, "__container", specPath)
	cmd.Env = spec.Env
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.ExtraFiles = []*os.File{errW}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWNS,
		Setpgid:    true,
		Pdeathsig:  syscall.SIGKILL,
	}
	err = cmd.Start()
	errW.Close()
	if err != nil {
		return nil, fmt.Errorf("starting container: %w", err)
	}
	p := &process{cmd: cmd, log: logw, started: time.Now(), exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait() // the exit shows in ProcessState
		p.state = cmd.ProcessState
		close(p.exited)
	}()
	msg, _ := io.ReadAll(bufio.NewReader(errR))
	if len(msg) > 0 {
		<-p.exited
		return nil, &startError{strings.TrimSpace(string(msg))}
	}
	return p, nil
}

// exitCode is the kubelet's exit code for a finished process: its status,
// or 128+signal.
func (p *process) exitCode() int {
	if p.state == nil {
		return -1
	}
	if ws, ok := p.state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return p.state.ExitCode()
}

// stop sends SIGTERM to the process group, then SIGKILL after grace.
func (p *process) stop(grace time.Duration) {
	pid := p.cmd.Process.Pid
	select {
	case <-p.exited:
		return
	default:
	}
	_ = syscall.Kill(-pid, syscall.SIGTERM) // the group may be gone
	select {
	case <-p.exited:
	case <-time.After(grace):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-p.exited
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL) // anything the process left behind
}

// containerEnv is the environment a container starts with.
func containerEnv(pod *corev1.Pod, c *corev1.Container, cfg Config) []string {
	vars := map[string]string{"HOSTNAME": cfg.NodeName, "HOME": "/root", "PATH": defaultPath}
	order := []string{"PATH", "HOSTNAME", "HOME"}
	set := func(k, v string) {
		if _, ok := vars[k]; !ok {
			order = append(order, k)
		}
		vars[k] = v
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			set(e.Name, expand(e.Value, vars))
		case e.ValueFrom.FieldRef != nil:
			switch e.ValueFrom.FieldRef.FieldPath {
			case "spec.nodeName":
				set(e.Name, cfg.NodeName)
			case "status.podIP", "status.hostIP":
				set(e.Name, cfg.NodeIP)
			case "metadata.name":
				set(e.Name, pod.Name)
			case "metadata.namespace":
				set(e.Name, pod.Namespace)
			}
		}
	}
	out := make([]string, 0, len(order))
	for _, k := range order {
		out = append(out, k+"="+vars[k])
	}
	return out
}

// expandArgs expands $(VAR) references in a container's command and args
// as the kubelet does.
func expandArgs(args, env []string) []string {
	vars := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = expand(a, vars)
	}
	return out
}

// expand replaces $(NAME) with the variable's value when it is defined
// and $$ with $; anything else is kept as written.
func expand(s string, vars map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			name := s[i+2 : i+end]
			if v, ok := vars[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+end+1])
			}
			i += end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

// removeScratch deletes a container's scratch directory, refusing if
// anything is still mounted below it in the agent's mount namespace.
func removeScratch(dir string) error {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	prefix := filepath.Clean(dir) + "/"
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && (strings.HasPrefix(f[4]+"/", prefix)) {
			return errors.New("refusing to remove " + dir + ": " + f[4] + " is mounted")
		}
	}
	return os.RemoveAll(dir)
}
