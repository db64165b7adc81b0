package agent

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/ckat/ckat/internal/crilog"
	"github.com/ckat/ckat/labs/local/cri"
	"github.com/ckat/ckat/labs/local/shim"
)

// The agent is also the node's container runtime: it serves the CRI (package
// cri) on Config.CRISocket from the pods it runs, and keeps the
// /var/log/containers links the kubelet makes.

// runtimeVersion is the version the CRI and the Node report for the
// runtime: semantic, as the kubelet parses it, and naming ckat.
var runtimeVersion = KubeletVersion + "-ckat"

// newContainerID is a container or sandbox ID as containerd makes them:
// 64 hex digits.
func newContainerID() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand does not fail on Linux
	return hex.EncodeToString(b[:])
}

// serveCRI serves the CRI until ctx is cancelled, when Config.CRISocket is
// set.
func (a *agent) serveCRI(ctx context.Context) {
	if a.cfg.CRISocket == "" {
		return
	}
	if err := cri.Serve(ctx, a.cfg.CRISocket, a, cri.Options{Version: runtimeVersion}); err != nil {
		a.log.Warnf("%v", err)
	}
}

// Pods lists the running pods for the CRI.
func (a *agent) Pods() []cri.Pod {
	a.mu.Lock()
	workers := make([]*podWorker, 0, len(a.pods))
	for _, w := range a.pods {
		workers = append(workers, w)
	}
	a.mu.Unlock()
	out := make([]cri.Pod, 0, len(workers))
	for _, w := range workers {
		out = append(out, w.criPod())
	}
	return out
}

// criPod is the worker's pod for the CRI: its running containers and the
// last exited run of each, as the kubelet keeps one dead container per
// container (--maximum-dead-containers-per-container=1).
func (w *podWorker) criPod() cri.Pod {
	p := cri.Pod{ID: w.sandboxID, Pod: w.pod, CreatedAt: w.startedAt, Ready: true,
		LogDirectory: crilog.PodDir(w.a.cfg.PodLogDir, w.pod.Namespace, w.pod.Name, string(w.pod.UID))}
	select {
	case <-w.done:
		p.Ready = false
	default:
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.containers {
		if l := s.Last; l != nil && !w.removed[l.run.ID] {
			p.Containers = append(p.Containers, cri.Container{
				ID: l.run.ID, Name: s.Name, Attempt: l.run.Attempt, State: cri.Exited,
				CreatedAt: l.StartedAt, StartedAt: l.StartedAt, FinishedAt: l.FinishedAt,
				ExitCode: l.ExitCode, Reason: l.Reason, LogPath: l.run.LogPath, Mounts: criMounts(l.run.Mounts),
			})
		}
		if s.proc != nil {
			p.Containers = append(p.Containers, cri.Container{
				ID: s.run.ID, Name: s.Name, Attempt: s.run.Attempt, State: cri.Running,
				CreatedAt: s.StartedAt, StartedAt: s.StartedAt, PID: s.PID,
				LogPath: s.run.LogPath, Mounts: criMounts(s.run.Mounts),
			})
		}
	}
	return p
}

func criMounts(ms []shim.Mount) []cri.Mount {
	out := make([]cri.Mount, 0, len(ms))
	for _, m := range ms {
		out = append(out, cri.Mount{ContainerPath: m.Target, HostPath: m.Source, ReadOnly: m.ReadOnly})
	}
	return out
}

// errNoContainer is a container ID no pod has.
var errNoContainer = errors.New("no such container")

// findRun returns the worker and container index of the run id, and
// whether it is running.
func (a *agent) findRun(id string) (*podWorker, int, bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, w := range a.pods {
		w.mu.Lock()
		for i, s := range w.containers {
			if s.proc != nil && s.run.ID == id {
				w.mu.Unlock()
				return w, i, true, nil
			}
			if s.Last != nil && s.Last.run.ID == id && !w.removed[id] {
				w.mu.Unlock()
				return w, i, false, nil
			}
		}
		w.mu.Unlock()
	}
	return nil, 0, false, fmt.Errorf("%s: %w", id, errNoContainer)
}

// StopContainer stops the run id and returns once the pod shows it
// exited; the worker then starts the container again, as the kubelet
// does after a container exits.
func (a *agent) StopContainer(id string, timeout time.Duration) error {
	w, i, running, err := a.findRun(id)
	if err != nil || !running {
		return err
	}
	w.mu.Lock()
	p := w.containers[i].proc
	w.mu.Unlock()
	if p == nil {
		return nil
	}
	a.log.V(0).Infof("pod %s: container %s stopped through the CRI", w.pod.Name, w.containers[i].Name)
	if timeout > 0 {
		p.stop(timeout)
	} else {
		p.kill()
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		w.mu.Lock()
		gone := w.containers[i].run.ID != id
		w.mu.Unlock()
		if gone {
			return nil
		}
	}
	return fmt.Errorf("container %s exited but its pod did not take note within 5s", id)
}

// RemoveContainer stops the run id if it runs, then forgets it and its
// /var/log/containers link.
func (a *agent) RemoveContainer(id string) error {
	if err := a.StopContainer(id, 0); err != nil {
		return err
	}
	w, i, _, err := a.findRun(id)
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.removed[id] = true
	w.mu.Unlock()
	a.unlinkContainerLog(w.pod, w.pod.Spec.Containers[i].Name, id)
	return nil
}

// kill ends the process group with SIGKILL and waits for the process.
func (p *process) kill() {
	_ = syscall.Kill(-p.pid, syscall.SIGKILL) // the group may be gone
	<-p.exited
}

// containerLogLink is the kubelet's legacy log symlink of a container run:
// /var/log/containers/POD_NAMESPACE_CONTAINER-ID.log
// (legacyLogSymlink and logSymlink in pkg/kubelet/kuberuntime/legacy.go,
// made by startContainer in kuberuntime_container.go), cut to ext4's
// 255-byte names.
func containerLogLink(dir string, pod *corev1.Pod, container, id string) string {
	const suffix = ".log"
	name := fmt.Sprintf("%s_%s_%s-%s", pod.Name, pod.Namespace, container, id)
	if len(name) > 255-len(suffix) {
		name = name[:255-len(suffix)]
	}
	return filepath.Join(dir, name+suffix)
}

// linkContainerLog makes the run's /var/log/containers link.
func (a *agent) linkContainerLog(pod *corev1.Pod, container string, run runInfo) {
	if a.cfg.ContainerLogDir == "" {
		return
	}
	link := containerLogLink(a.cfg.ContainerLogDir, pod, container, run.ID)
	err := os.MkdirAll(a.cfg.ContainerLogDir, 0o755)
	if err == nil {
		err = os.Symlink(run.LogPath, link)
	}
	if errors.Is(err, os.ErrExist) {
		// An adopted run: the agent before this one made the link.
		if target, rerr := os.Readlink(link); rerr == nil && target == run.LogPath {
			err = nil
		}
	}
	if err != nil {
		a.log.Warnf("linking the log of container %s of pod %s: %v", container, pod.Name, err)
	}
}

// unlinkContainerLog removes a run's link, as the kubelet does when it
// removes the dead container (removeContainerLog).
func (a *agent) unlinkContainerLog(pod *corev1.Pod, container, id string) {
	if a.cfg.ContainerLogDir == "" {
		return
	}
	if err := os.Remove(containerLogLink(a.cfg.ContainerLogDir, pod, container, id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		a.log.Warnf("removing the log link of container %s of pod %s: %v", container, pod.Name, err)
	}
}

// removeDeadLogLinks removes the links in dir whose log is gone, as the
// kubelet's container garbage collector does (evictPodLogsDirectories in
// pkg/kubelet/kuberuntime/kuberuntime_gc.go).
func removeDeadLogLinks(dir string) {
	entries, _ := os.ReadDir(dir) // no directory: no links
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		if e.Type()&os.ModeSymlink == 0 || !strings.HasSuffix(e.Name(), ".log") {
			continue
		}
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			_ = os.Remove(path) // best effort, as the kubelet's
		}
	}
}
