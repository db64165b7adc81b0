package agent

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"

	"github.com/ckat/ckat/labs/local/shim"
)

// process is one run of a container: its shim and its process.
type process struct {
	pid     int // the container's process, leader of its process group
	scratch string
	started time.Time
	exited  chan struct{} // closed when the shim has ended
}

// containerSpecFor builds the __container spec of one run.
func (a *agent) containerSpecFor(pod *corev1.Pod, c *corev1.Container, root string, mounts []shim.Mount) shim.Spec {
	env := containerEnv(pod, c, a.cfg)
	argv := expandArgs(append(append([]string{}, c.Command...), c.Args...), env)
	s := shim.Spec{Root: root, Argv: argv, Env: env, WorkingDir: c.WorkingDir, Mounts: mounts}
	if exe, ok := a.cfg.Binaries[filepath.Base(argv[0])]; ok {
		s.Executable = exe
		s.Argv[0] = filepath.Base(argv[0])
	}
	return s
}

// startProcess starts the run's shim (see shim.go) in a session of its
// own and waits until the shim has started the container's command or
// failed to.
func (a *agent) startProcess(scratch string, spec shim.Spec, rec shim.RunRecord) (*process, error) {
	if err := os.MkdirAll(scratch, 0o700); err != nil {
		return nil, fmt.Errorf("creating container directory: %w", err)
	}
	if err := shim.WriteJSON(filepath.Join(scratch, shim.SpecFile), spec); err != nil {
		return nil, err
	}
	if err := shim.WriteJSON(filepath.Join(scratch, shim.StateFile), rec); err != nil {
		return nil, err
	}
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer readyR.Close()
	cmd := exec.Command(a.shimExe, shim.Command, scratch)
	cmd.Env = []string{"PATH=" + shim.DefaultPath}
	cmd.Dir = "/"
	cmd.ExtraFiles = []*os.File{readyW} // shim.ReadyFD
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	readyW.Close()
	if err != nil {
		return nil, fmt.Errorf("starting container: %w", err)
	}
	p := &process{scratch: scratch, started: time.Now(), exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait() // the shim is this agent's child until the agent ends
		close(p.exited)
	}()
	msg, _ := io.ReadAll(bufio.NewReader(readyR))
	if pid, ok := strings.CutPrefix(strings.TrimSpace(string(msg)), "ok "); ok {
		if p.pid, err = strconv.Atoi(pid); err == nil {
			if rec, err := shim.ReadRunRecord(scratch); err == nil {
				p.started = rec.StartedAt
			}
			return p, nil
		}
	}
	<-p.exited
	if len(msg) == 0 {
		msg = []byte("the container's shim exited before starting it")
	}
	return nil, &shim.StartError{Msg: strings.TrimSpace(string(msg))}
}

// adoptProcess takes over a run a previous agent started, whose shim
// still runs; it fails if the shim has gone.
func adoptProcess(scratch string, rec shim.RunRecord) (*process, error) {
	if !shim.Alive(rec.ShimPID, scratch) {
		return nil, fmt.Errorf("the shim of %s has exited", scratch)
	}
	p := &process{pid: rec.PID, scratch: scratch, started: rec.StartedAt, exited: make(chan struct{})}
	go func() {
		defer close(p.exited)
		waitExit(rec.ShimPID, scratch)
	}()
	return p, nil
}

// waitExit returns when the process pid, not this process's child, has
// ended: through a pidfd where the kernel has them, else by looking.
func waitExit(pid int, scratch string) {
	if fd, err := unix.PidfdOpen(pid, 0); err == nil {
		defer unix.Close(fd)
		if shim.Alive(pid, scratch) {
			for {
				_, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, -1)
				if !errors.Is(err, unix.EINTR) {
					break
				}
			}
		}
		return
	}
	for shim.Alive(pid, scratch) {
		time.Sleep(200 * time.Millisecond)
	}
}

// exit is how the run ended, once exited is closed: the code the shim
// recorded, or, when the shim itself was killed, 137 after killing what
// is left of the container.
func (p *process) exit() terminated {
	ex, ok := shim.ReadExitRecord(p.scratch)
	if !ok {
		_ = syscall.Kill(-p.pid, syscall.SIGKILL)
		return terminated{ExitCode: 137, StartedAt: p.started, FinishedAt: time.Now()}
	}
	return terminated{ExitCode: ex.ExitCode, StartedAt: p.started, FinishedAt: ex.FinishedAt}
}

// stop sends SIGTERM to the container's process group, then SIGKILL after
// grace, and waits for its shim to end.
func (p *process) stop(grace time.Duration) {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = syscall.Kill(-p.pid, syscall.SIGTERM) // the group may be gone
	select {
	case <-p.exited:
	case <-time.After(grace):
		_ = syscall.Kill(-p.pid, syscall.SIGKILL)
		<-p.exited
	}
}

// containerEnv is the environment a container starts with.
func containerEnv(pod *corev1.Pod, c *corev1.Container, cfg Config) []string {
	vars := map[string]string{"HOSTNAME": cfg.NodeName, "HOME": "/root", "PATH": shim.DefaultPath}
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
