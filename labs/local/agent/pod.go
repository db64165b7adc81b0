package agent

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/ckat/ckat/internal/crilog"
	"github.com/ckat/ckat/labs/local/shim"
)

// Container reasons, as the kubelet reports them.
const (
	reasonCrashLoopBackOff  = "CrashLoopBackOff"
	reasonContainerCreating = "ContainerCreating"
	reasonFailedMount       = "FailedMount"
	reasonStartError        = "StartError"
	reasonCompleted         = "Completed"
	reasonError             = "Error"
	reasonInvalidManifest   = "InvalidManifest"
	reasonDuplicatePodName  = "DuplicatePodName"
)

// containerState is what the agent knows of one container of a pod.
type containerState struct {
	Name      string
	Running   bool
	Ready     bool
	Reason    string // waiting or terminated reason
	Message   string
	Restarts  int
	PID       int
	StartedAt time.Time
	// ReadySince is when the current run last became ready; zero when
	// it is not ready.
	ReadySince time.Time
	// run is the running run's CRI identity; proc its process.
	run  runInfo
	proc *process
	// Last is the previous run's end, if any.
	Last *terminated
}

// runInfo is what the CRI knows of one run of a container.
type runInfo struct {
	ID      string // the container ID of the run (see newContainerID)
	Attempt int    // the run's number, as in its log's name
	LogPath string
	Mounts  []shim.Mount
}

// terminated is how a run of a container ended.
type terminated struct {
	run        runInfo
	ExitCode   int
	Reason     string
	StartedAt  time.Time
	FinishedAt time.Time
}

// podWorker runs one static pod until it is stopped.
type podWorker struct {
	a      *agent
	file   string
	hash   string
	pod    *corev1.Pod
	cancel context.CancelFunc
	done   chan struct{}

	// adopt holds, by container index, the runs a previous agent left
	// running that this worker takes over instead of starting anew.
	adopt map[int]adoptable

	mu         sync.Mutex
	containers []*containerState
	startedAt  time.Time
	// sandboxID is the pod's CRI sandbox ID; removed holds the IDs of
	// exited runs removed through the CRI.
	sandboxID string
	removed   map[string]bool
}

// startPod starts a worker for pod once after is closed (the previous
// worker of the same manifest has stopped).
func (a *agent) startPod(ctx context.Context, m manifest, after <-chan struct{}) *podWorker {
	ctx, cancel := context.WithCancel(ctx)
	w := &podWorker{a: a, file: m.File, hash: m.Hash, pod: m.Pod, cancel: cancel, done: make(chan struct{}), startedAt: time.Now(),
		sandboxID: newContainerID(), removed: map[string]bool{}}
	for i, c := range m.Pod.Spec.Containers {
		w.containers = append(w.containers, &containerState{Name: c.Name, Reason: reasonContainerCreating})
		if r, ok := a.adoptable[runKey(string(m.Pod.UID), c.Name)]; ok {
			if w.adopt == nil {
				w.adopt = map[int]adoptable{}
			}
			w.adopt[i] = r
			delete(a.adoptable, runKey(string(m.Pod.UID), c.Name))
			if r.rec.StartedAt.Before(w.startedAt) {
				w.startedAt = r.rec.StartedAt
			}
		}
	}
	go w.run(ctx, after)
	return w
}

// stop asks the worker to stop its containers; done closes when they have.
func (w *podWorker) stop() { w.cancel() }

func (w *podWorker) run(ctx context.Context, after <-chan struct{}) {
	defer close(w.done)
	defer w.a.statusChanged()
	if after != nil {
		<-after
	}
	if ctx.Err() != nil {
		return
	}
	if len(w.adopt) < len(w.pod.Spec.Containers) {
		w.a.log.V(0).Infof("starting static pod %s/%s from %s", w.pod.Namespace, w.pod.Name, w.file)
	}
	var wg sync.WaitGroup
	for i := range w.pod.Spec.Containers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.runContainer(ctx, i)
		}()
	}
	wg.Wait()
	if w.a.isDetached() {
		return // the containers keep running for the next agent
	}
	if err := removeScratch(w.emptyDirRoot()); err != nil {
		w.a.log.Warnf("%v", err)
	}
	w.a.log.V(0).Infof("stopped static pod %s/%s", w.pod.Namespace, w.pod.Name)
}

func (w *podWorker) emptyDirRoot() string {
	return filepath.Join(w.a.cfg.ContainerDir, w.pod.Name+".volumes")
}

// scratchDir is a run's scratch directory: ContainerDir/POD-RESTART, with
// the container's name in between when the pod has several.
func (w *podWorker) scratchDir(c *corev1.Container, restart int) string {
	name := w.pod.Name
	if len(w.pod.Spec.Containers) > 1 {
		name += "-" + c.Name
	}
	return filepath.Join(w.a.cfg.ContainerDir, name+"-"+strconv.Itoa(restart))
}

// update changes container i's state and rewrites the status file.
func (w *podWorker) update(i int, f func(*containerState)) {
	w.mu.Lock()
	f(w.containers[i])
	w.mu.Unlock()
	w.a.statusChanged()
}

// runContainer runs container i with restart policy Always and the
// kubelet's back-off until ctx is cancelled.
func (w *podWorker) runContainer(ctx context.Context, i int) {
	c := &w.pod.Spec.Containers[i]
	podDir := crilog.PodDir(w.a.cfg.PodLogDir, w.pod.Namespace, w.pod.Name, string(w.pod.UID))
	grace := terminationGrace(w.pod)
	var b backoff
	pending, adopting := w.adopt[i] // read-only once the worker runs
	prevScratch := ""
	var runIDs []string // the IDs of the runs whose logs are kept
	defer func() {
		if prevScratch != "" {
			if err := removeScratch(prevScratch); err != nil {
				w.a.log.Warnf("%v", err)
			}
		}
	}()
	for restart := 0; ctx.Err() == nil && !w.a.isDetached(); {
		mounts, err := prepareMounts(w.pod, c, w.emptyDirRoot())
		if err != nil {
			w.update(i, func(s *containerState) { s.Reason, s.Message = reasonFailedMount, err.Error() })
			w.a.logOnce(w.pod.Name+"/"+c.Name+"/mount", "pod %s: %v", w.pod.Name, err)
			sleep(ctx, 2*time.Second)
			continue
		}
		w.a.forget(w.pod.Name + "/" + c.Name + "/mount")
		if prevScratch != "" {
			if err := removeScratch(prevScratch); err != nil {
				w.a.log.Warnf("%v", err)
			}
		}
		var p *process
		var run runInfo
		scratch := w.scratchDir(c, restart)
		if adopting {
			adopting = false
			r := pending
			if p, err = adoptProcess(r.scratch, r.rec); err == nil {
				restart, scratch = r.rec.Restart, r.scratch
				run = runInfo{ID: r.rec.ID, Attempt: restart, LogPath: r.rec.LogPath, Mounts: mounts}
				if run.ID == "" {
					run.ID = newContainerID()
				}
				w.update(i, func(s *containerState) { s.Restarts = restart })
			} else {
				w.a.log.V(1).Infof("pod %s: container %s: %v", w.pod.Name, c.Name, err)
			}
		}
		prevScratch = scratch
		if p == nil {
			run = runInfo{ID: newContainerID(), Attempt: restart, Mounts: mounts}
			run.LogPath, err = shim.ContainerLogPath(podDir, c.Name, restart)
			if err == nil {
				spec := w.a.containerSpecFor(w.pod, c, filepath.Join(scratch, "rootfs"), mounts)
				rec := shim.RunRecord{PodKey: w.pod.Namespace + "/" + w.pod.Name, PodUID: string(w.pod.UID), Container: c.Name,
					Restart: restart, ID: run.ID, LogPath: run.LogPath}
				p, err = w.a.startProcess(scratch, spec, rec)
			}
		}
		if run.LogPath != "" {
			// shim.ContainerLogPath keeps two runs' logs; so do the links.
			runIDs = append(runIDs, run.ID)
			if len(runIDs) > 2 {
				w.a.unlinkContainerLog(w.pod, c.Name, runIDs[0])
				runIDs = runIDs[1:]
			}
			w.a.linkContainerLog(w.pod, c.Name, run)
		}
		var ran time.Duration
		var exit terminated
		if err != nil {
			now := time.Now()
			exit = terminated{run: run, ExitCode: 128, Reason: reasonStartError, StartedAt: now, FinishedAt: now}
			msg := err.Error()
			var se *shim.StartError
			if !errors.As(err, &se) {
				msg = "failed to start container: " + msg
			}
			w.a.log.Warnf("pod %s: container %s: %s", w.pod.Name, c.Name, msg)
			w.update(i, func(s *containerState) { s.Message = msg })
		} else {
			w.update(i, func(s *containerState) {
				s.Running, s.Ready, s.ReadySince, s.Reason, s.Message = true, false, time.Time{}, "", ""
				s.PID, s.StartedAt = p.pid, p.started
				s.run, s.proc = run, p
			})
			probeCtx, stopProbe := context.WithCancel(ctx)
			go w.probe(probeCtx, i, c, p.pid)
			select {
			case <-p.exited:
			case <-ctx.Done():
				if !w.a.isDetached() {
					p.stop(w.a.stopGrace(grace))
				}
			}
			stopProbe()
			if w.a.isDetached() {
				prevScratch = "" // the run goes on without this agent
				return
			}
			exit = p.exit()
			exit.run = run
			ran = exit.FinishedAt.Sub(p.started)
			exit.Reason = reasonError
			if exit.ExitCode == 0 {
				exit.Reason = reasonCompleted
			}
			if ctx.Err() == nil {
				w.a.log.V(0).Infof("pod %s: container %s exited with code %d after %s", w.pod.Name, c.Name, exit.ExitCode, ran.Round(time.Millisecond))
			}
		}
		wait := b.exited(ran)
		w.update(i, func(s *containerState) {
			s.Running, s.Ready, s.ReadySince, s.PID = false, false, time.Time{}, 0
			s.run, s.proc = runInfo{}, nil
			s.Last = &exit
			s.Reason = exit.Reason
			if ctx.Err() == nil {
				s.Restarts++
			}
			if wait > 0 {
				s.Reason = reasonCrashLoopBackOff
				s.Message = fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)", wait, c.Name, w.pod.Name, w.pod.Namespace, w.pod.UID)
			}
		})
		if ctx.Err() != nil || w.a.isDetached() {
			return
		}
		restart++
		sleep(ctx, wait)
	}
}

// sleep waits for d or until ctx is cancelled.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// snapshot returns a copy of the pod's container states.
func (w *podWorker) snapshot() []containerState {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]containerState, len(w.containers))
	for i, c := range w.containers {
		out[i] = *c
	}
	return out
}

// terminationGrace is how long a container stopped because its manifest
// went or changed may run on after SIGTERM before it is killed: the pod's
// terminationGracePeriodSeconds, at least 1 s, as the kubelet computes it
// for a pod that no API server asked to end sooner
// (calculateEffectiveGracePeriod in pkg/kubelet/pod_workers.go, v1.37).
// kubeadm's manifests leave it to the API's default, 30 s, so a
// kube-apiserver whose manifest is moved away while kube-controller-manager
// and kube-scheduler hold watches on it (it waits up to its 60 s request
// timeout for them) is killed 30 s later, as on a kubeadm node.
//
// When the whole node stops (`ckat lab stop`, as a machine shuts down),
// every container has at most shutdownGrace: kubeadm leaves the kubelet's
// graceful node shutdown off (shutdownGracePeriod 0), so a machine's
// shutdown waits on no pod's grace period.
func terminationGrace(pod *corev1.Pod) time.Duration {
	seconds := int64(corev1.DefaultTerminationGracePeriodSeconds)
	if g := pod.Spec.TerminationGracePeriodSeconds; g != nil {
		seconds = *g
	}
	return time.Duration(max(seconds, 1)) * time.Second
}

// shutdownGrace is the grace period of every container when the node
// stops.
const shutdownGrace = 10 * time.Second

// stopGrace is the grace period of a container whose pod stops now.
func (a *agent) stopGrace(podGrace time.Duration) time.Duration {
	if a.shuttingDown.Load() {
		return min(podGrace, shutdownGrace)
	}
	return podGrace
}
