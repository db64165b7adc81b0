package agent

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs/local/shim"
)

// agent is the running node agent.
type agent struct {
	cfg     Config
	log     *log.Logger
	shimExe string // the executable that runs `__shim` (see shim.Find)

	mu   sync.Mutex
	pods map[string]*podWorker // by pod key (namespace/name)
	// valid and invalid are the manifest files that are pods and that are
	// not, as the file source last read them, for the status file.
	valid, invalid map[string]manifest
	logged         map[string]string // what was last logged per key, against repeats
	// lastDone closes when the latest worker of a pod name has stopped.
	lastDone map[string]<-chan struct{}

	// adoptable are the runs a previous agent left running, until a pod
	// worker takes them over or stopOrphans stops them.
	adoptable map[string]adoptable
	// detached closes when the agent exits leaving its containers running.
	detached chan struct{}
	// shuttingDown is set when the node itself stops (stopAll).
	shuttingDown atomic.Bool

	statusMu   sync.Mutex
	lastStatus []byte
}

// Run runs the static pods in cfg.ManifestDir until ctx is cancelled. It
// then stops them all and returns, or, with cfg.KeepPodsOnExit, returns
// leaving their containers running, as the kubelet does when it stops.
// It takes over the containers a previous agent left running for the pods
// it still has (same pod UID), and stops the others.
func Run(ctx context.Context, cfg Config, logger *log.Logger) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding ckat's executable: %w", err)
	}
	shimExe := shim.Find(filepath.Dir(self))
	if shimExe == "" {
		shimExe = self
	}
	for _, d := range []string{cfg.PodLogDir, cfg.ContainerDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", d, err)
		}
	}
	runs, err := scanRuns(cfg.ContainerDir)
	if err != nil {
		return err
	}
	a := &agent{cfg: cfg, log: logger, shimExe: shimExe,
		pods: map[string]*podWorker{}, valid: map[string]manifest{}, invalid: map[string]manifest{}, logged: map[string]string{},
		lastDone: map[string]<-chan struct{}{}, adoptable: runs, detached: make(chan struct{})}
	a.statusChanged()
	removeDeadLogLinks(cfg.ContainerLogDir)
	criDone := make(chan struct{})
	go func() {
		defer close(criDone)
		a.serveCRI(ctx)
	}()
	mirrorsDone := make(chan struct{})
	go func() {
		defer close(mirrorsDone)
		a.syncAPI(ctx)
	}()
	// As the kubelet's sourceFile.run (pkg/kubelet/config/file.go): read
	// the directory at once, then on every tick of the re-read period, and
	// consume each inotify event between (watchDir) as it comes. The watch
	// is set up before the first read, so that no change falls between.
	// The pods' workers outlive ctx when the agent leaves them running.
	podCtx, cancelPods := context.WithCancel(context.Background())
	defer cancelPods()
	events := make(chan fsnotify.Event, eventBufferLen)
	watchCtx, stopWatch := context.WithCancel(ctx)
	watchDone, watching := make(chan struct{}), make(chan struct{})
	if cfg.ManifestDir == "" { // no staticPodPath: nothing to watch
		close(watchDone)
		close(watching)
	} else {
		go func() {
			defer close(watchDone)
			watchDir(watchCtx, cfg.ManifestDir, events, logger, func() { close(watching) })
		}()
	}
	defer func() { stopWatch(); <-watchDone }()
	<-watching
	src := newFileSource(cfg.ManifestDir, cfg.NodeName, logger)
	changed := src.list()
	a.stopOrphans(src.running)
	a.apply(podCtx, src, changed)
	resync := time.NewTicker(cfg.fileCheckFrequency())
	defer resync.Stop()
	for {
		select {
		case <-ctx.Done():
			if cfg.KeepPodsOnExit {
				a.detachAll(cancelPods)
			} else {
				a.stopAll()
			}
			<-mirrorsDone
			<-criDone
			return nil
		case e := <-events:
			a.apply(podCtx, src, src.event(e))
		case <-resync.C:
			a.apply(podCtx, src, src.list())
		}
	}
}

// apply takes the file source's view: the files for the status file and,
// when the running set may have changed, the pods to run.
func (a *agent) apply(ctx context.Context, src *fileSource, changed bool) {
	a.mu.Lock()
	a.valid, a.invalid = maps.Clone(src.valid), maps.Clone(src.invalid)
	if changed {
		a.syncPods(ctx, src.running)
	}
	a.mu.Unlock()
	a.statusChanged()
}

// syncPods starts, restarts and stops pods so that exactly running runs,
// one pod per namespace/name. A pod whose manifest changed, or that now
// comes from another file, is a new pod (its UID hashes content and
// path): the old one stops first. Called with a.mu held.
func (a *agent) syncPods(ctx context.Context, running []manifest) {
	want := make(map[string]manifest, len(running))
	for _, m := range running {
		want[m.key()] = m
	}
	for key, w := range a.pods {
		m, ok := want[key]
		switch {
		case !ok:
			a.log.V(0).Infof("manifest %s removed: stopping %s", w.file, w.pod.Name)
		case m.File != w.file:
			a.log.V(0).Infof("pod %s now comes from %s, not %s (one pod per name; the file read last wins): restarting it", w.pod.Name, m.File, w.file)
		case m.Hash != w.hash:
			a.log.V(0).Infof("manifest %s changed: restarting %s", m.File, w.pod.Name)
		default:
			continue
		}
		w.stop()
		delete(a.pods, key)
	}
	for key, m := range want {
		if _, ok := a.pods[key]; ok {
			continue
		}
		// The new pod starts once the last of its name has stopped, as it
		// reuses the name's scratch and log paths.
		nw := a.startPod(ctx, m, a.lastDone[key])
		a.pods[key] = nw
		a.lastDone[key] = nw.done
	}
}

// stopAll stops every pod and waits for them; each container has at most
// shutdownGrace after SIGTERM.
func (a *agent) stopAll() {
	a.shuttingDown.Store(true)
	a.mu.Lock()
	workers := make([]*podWorker, 0, len(a.pods))
	for file, w := range a.pods {
		w.stop()
		workers = append(workers, w)
		delete(a.pods, file)
	}
	a.mu.Unlock()
	for _, w := range workers {
		<-w.done
	}
	a.statusChanged()
}

// logOnce logs an error under key unless the same message was the last
// logged under it.
func (a *agent) logOnce(key, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	a.mu.Lock()
	same := a.logged[key] == msg
	a.logged[key] = msg
	a.mu.Unlock()
	if !same {
		a.log.Warnf("%s", msg)
	}
}

// forget lets the next logOnce under key log again.
func (a *agent) forget(key string) {
	a.mu.Lock()
	delete(a.logged, key)
	a.mu.Unlock()
}
