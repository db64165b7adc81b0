package agent

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ckat/ckat/labs/local/shim"
)

// orphanGrace is the grace period of an orphaned pod's containers.
const orphanGrace = time.Second

// adoptable is a run a previous agent left running: its shim still runs.
type adoptable struct {
	scratch string
	rec     shim.RunRecord
}

// runKey keys adoptable runs by pod UID and container name.
func runKey(podUID, container string) string { return podUID + "/" + container }

// scanRuns looks through the scratch directories a previous agent left in
// dir. Runs whose shim still runs are returned, keyed by runKey; the
// directories of every other run are removed, and so are emptyDir roots
// (POD.volumes) of pods with no running run.
func scanRuns(dir string) (map[string]adoptable, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	live := map[string]adoptable{}
	pods := map[string]bool{} // names of pods with a live run
	for _, e := range entries {
		scratch := filepath.Join(dir, e.Name())
		rec, err := shim.ReadRunRecord(scratch)
		if err != nil || !shim.Alive(rec.ShimPID, scratch) {
			continue
		}
		live[runKey(rec.PodUID, rec.Container)] = adoptable{scratch: scratch, rec: rec}
		_, name, _ := strings.Cut(rec.PodKey, "/")
		pods[name] = true
	}
	for _, e := range entries {
		scratch := filepath.Join(dir, e.Name())
		if pod, ok := strings.CutSuffix(e.Name(), ".volumes"); ok && pods[pod] {
			continue
		}
		if rec, err := shim.ReadRunRecord(scratch); err == nil {
			if _, ok := live[runKey(rec.PodUID, rec.Container)]; ok && live[runKey(rec.PodUID, rec.Container)].scratch == scratch {
				continue
			}
		}
		if err := removeScratch(scratch); err != nil {
			return nil, err
		}
	}
	return live, nil
}

// stopOrphans stops the adoptable runs no pod in running takes over: the
// pods whose manifest changed (a new pod UID) or went while the agent was
// stopped. The kubelet's housekeeping kills such runtime pods with a grace
// period of 1s (pkg/kubelet/kubelet_pods.go, HandlePodCleanups: "Clean up
// containers for orphaned pod we had not seen before"), while a pod it
// still has keeps its running containers (kuberuntime_manager.go,
// computePodActions: a running container whose spec is unchanged is kept).
// A new pod of the same name starts after its orphans have stopped.
// Called before the first sync.
func (a *agent) stopOrphans(running []manifest) {
	a.mu.Lock()
	defer a.mu.Unlock()
	wanted := map[string]bool{}
	for _, m := range running {
		for _, c := range m.Pod.Spec.Containers {
			wanted[runKey(string(m.Pod.UID), c.Name)] = true
		}
	}
	byPod := map[string][]adoptable{}
	for key, r := range a.adoptable {
		if !wanted[key] {
			byPod[r.rec.PodKey] = append(byPod[r.rec.PodKey], r)
			delete(a.adoptable, key)
		}
	}
	for podKey, runs := range byPod {
		a.log.V(0).Infof("\"Clean up containers for orphaned pod we had not seen before\" podUID=%q pod=%q", runs[0].rec.PodUID, podKey)
		done := make(chan struct{})
		a.lastDone[podKey] = done
		go func() {
			defer close(done)
			var wg sync.WaitGroup
			for _, r := range runs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if p, err := adoptProcess(r.scratch, r.rec); err == nil {
						p.stop(orphanGrace)
					} else {
						_ = syscall.Kill(-r.rec.PID, syscall.SIGKILL)
					}
					if err := removeScratch(r.scratch); err != nil {
						a.log.Warnf("%v", err)
					}
				}()
			}
			wg.Wait()
			_, name, _ := strings.Cut(podKey, "/")
			if err := removeScratch(filepath.Join(a.cfg.ContainerDir, name+".volumes")); err != nil {
				a.log.Warnf("%v", err)
			}
		}()
	}
}

// isDetached reports whether the agent is leaving its containers running
// as it exits.
func (a *agent) isDetached() bool {
	select {
	case <-a.detached:
		return true
	default:
		return false
	}
}

// detachAll lets every worker return without stopping its containers
// (cancelPods ends the workers' contexts once they know), and waits for
// them.
func (a *agent) detachAll(cancelPods context.CancelFunc) {
	close(a.detached)
	cancelPods()
	a.mu.Lock()
	workers := make([]*podWorker, 0, len(a.pods))
	for _, w := range a.pods {
		workers = append(workers, w)
	}
	a.mu.Unlock()
	for _, w := range workers {
		select {
		case <-w.done:
		case <-time.After(5 * time.Second):
			a.log.Warnf("pod %s did not let go of its containers within 5s", w.pod.Name)
		}
	}
}
