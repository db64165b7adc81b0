package agent

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/ckat/ckat/internal/log"
)

// pollInterval is how often the manifest directory is read.
const pollInterval = 500 * time.Millisecond

// agent is the running node agent.
type agent struct {
	cfg  Config
	log  *log.Logger
	self string // the executable that runs `__container`

	mu      sync.Mutex
	pods    map[string]*podWorker // by manifest file
	invalid map[string]manifest   // manifests that are not pods, by file
	logged  map[string]string     // what was last logged per key, against repeats
	// skipped is what was last logged for each directory entry that is
	// not a manifest (a subdirectory, a FIFO, a dangling symlink), for
	// syncManifests only.
	skipped map[string]string
	// parsed caches manifests by file and content, for syncManifests only.
	parsed map[string]manifest
	// lastDone closes when the latest worker of a pod name has stopped.
	lastDone map[string]<-chan struct{}

	statusMu   sync.Mutex
	lastStatus []byte
}

// Run runs the static pods in cfg.ManifestDir until ctx is cancelled, then
// stops them all and returns.
func Run(ctx context.Context, cfg Config, logger *log.Logger) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding ckat's executable: %w", err)
	}
	for _, d := range []string{cfg.PodLogDir, cfg.ContainerDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", d, err)
		}
	}
	if err := clearContainerDir(cfg.ContainerDir); err != nil {
		return err
	}
	a := &agent{cfg: cfg, log: logger, self: self,
		pods: map[string]*podWorker{}, invalid: map[string]manifest{}, logged: map[string]string{}, skipped: map[string]string{},
		lastDone: map[string]<-chan struct{}{}, parsed: map[string]manifest{}}
	a.statusChanged()
	mirrorsDone := make(chan struct{})
	go func() {
		defer close(mirrorsDone)
		a.syncAPI(ctx)
	}()
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		a.syncManifests(ctx)
		select {
		case <-ctx.Done():
			a.stopAll()
			<-mirrorsDone
			return nil
		case <-t.C:
		}
	}
}

// clearContainerDir removes scratch roots a previous agent left behind.
func clearContainerDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("reading %s: %w", dir, err)
	}
	for _, e := range entries {
		if err := removeScratch(dir + "/" + e.Name()); err != nil {
			return err
		}
	}
	return nil
}

// syncManifests starts, restarts and stops pods to match the manifest
// directory.
func (a *agent) syncManifests(ctx context.Context) {
	list, skipped, err := listManifests(a.cfg.ManifestDir, a.cfg.NodeName, a.parsed)
	if err != nil {
		a.logOnce("manifest-dir", "%v", err)
		return
	}
	a.forget("manifest-dir")
	a.logSkipped(skipped)
	seen := map[string]bool{}
	changed := false
	a.mu.Lock()
	for _, m := range list {
		seen[m.File] = true
		w := a.pods[m.File]
		if m.Err != nil {
			if old, ok := a.invalid[m.File]; !ok || old.Hash != m.Hash || old.Err.Error() != m.Err.Error() {
				if m.Duplicate {
					a.log.Warnf("\"Pod failed validation due to duplicate pod name, ignoring\" pod=\"%s/%s\" source=\"file\" path=%q",
						m.Pod.Namespace, m.Pod.Name, a.cfg.ManifestDir+"/"+m.File)
				} else {
					a.log.Errorf("\"Could not process manifest file\" err=%q path=%q", m.Err.Error(), a.cfg.ManifestDir+"/"+m.File)
				}
				a.invalid[m.File] = m
				changed = true
			}
			if w != nil {
				w.stop()
				delete(a.pods, m.File)
			}
			continue
		}
		if _, ok := a.invalid[m.File]; ok {
			delete(a.invalid, m.File)
			changed = true
		}
		if w != nil && w.hash == m.Hash {
			continue
		}
		if w != nil {
			a.log.V(0).Infof("manifest %s changed: restarting %s", m.File, w.pod.Name)
			w.stop()
		}
		// A pod of the same name from another file (now shadowed by this
		// one) stops too; the new pod starts once the last of its name has
		// stopped, as it reuses the name's scratch and log paths.
		key := m.Pod.Namespace + "/" + m.Pod.Name
		for file, other := range a.pods {
			if file != m.File && other.pod.Namespace+"/"+other.pod.Name == key {
				other.stop()
				delete(a.pods, file)
			}
		}
		nw := a.startPod(ctx, m, a.lastDone[key])
		a.pods[m.File] = nw
		a.lastDone[key] = nw.done
		changed = true
	}
	for file, w := range a.pods {
		if !seen[file] {
			a.log.V(0).Infof("manifest %s removed: stopping %s", file, w.pod.Name)
			w.stop()
			delete(a.pods, file)
			changed = true
		}
	}
	for file := range a.invalid {
		if !seen[file] {
			delete(a.invalid, file)
			changed = true
		}
	}
	a.mu.Unlock()
	if changed {
		a.statusChanged()
	}
}

// logSkipped logs, as errors the way the kubelet does, the directory
// entries listManifests passed over; each once until its message changes
// or it goes away and comes back. The kubelet repeats them on every read
// of the directory.
func (a *agent) logSkipped(skipped []skippedEntry) {
	now := make(map[string]string, len(skipped))
	for _, s := range skipped {
		now[s.File] = s.Msg
		if a.skipped[s.File] != s.Msg {
			a.log.Errorf("%s", s.Msg)
		}
	}
	a.skipped = now
}

// stopAll stops every pod and waits for them.
func (a *agent) stopAll() {
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
