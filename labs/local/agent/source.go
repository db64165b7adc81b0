package agent

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/ckat/ckat/internal/log"
)

// fileCheckFrequency is the kubelet's default --file-check-frequency
// (pkg/kubelet/apis/config/v1beta1/defaults.go): how often its file source
// re-reads the whole manifest directory.
const fileCheckFrequency = 20 * time.Second

// fileSource decides which pods run from the manifest directory, as
// kubelet v1.37's file source does (pkg/kubelet/config/file.go and
// file_linux.go):
//
//   - The store holds one pod per namespace/name (a cache.UndeltaStore
//     keyed by cache.MetaNamespaceKeyFunc). Two files defining one pod
//     never both run.
//   - A full re-read (list, at start and every fileCheckFrequency:
//     sourceFile.listConfig, extractFromDir, replaceStore) reads every
//     entry in name order and replaces the store with the pods found; of
//     two files defining one pod, the LAST in name order wins, so
//     etcd.yaml.bak beats etcd.yaml. A file that is not a valid pod is
//     left out (its old pod stops). When no file is a pod, nothing runs
//     but the store is kept (listConfig sends an empty update instead of
//     calling replaceStore).
//   - Between re-reads, the directory is watched with inotify (watchDir,
//     as startWatch and doWatch), and every event is consumed in turn
//     (event): an entry created, written or chmod-ed (produceWatchEvent:
//     Create, Write, Chmod) is read again and, when it is a valid pod, put
//     in the store, replacing whatever file held that pod before
//     (consumeWatchEvent: store.Add): the file changed last wins until the
//     next re-read. A file that became invalid changes nothing until then.
//     A removed or renamed entry (Remove, Rename) deletes from the store
//     the pod that file last defined (fileKeyMapping), even when another
//     file's copy of it was running; the next re-read brings that back.
//     Each event is its own update, so `mv kube-apiserver.yaml /tmp/ &&
//     mv /tmp/kube-apiserver.yaml .` stops the pod and starts it again,
//     however quickly the two moves follow each other.
//   - Names starting with '.' are never read, by either path.
type fileSource struct {
	dir, nodeName string
	log           *log.Logger

	store   map[string]manifest // pod key -> the manifest whose pod runs
	fileKey map[string]string   // file -> the key of the pod it last defined (fileKeyMapping)
	running []manifest          // the pods of the last update, by key

	valid   map[string]manifest // files that are pods, as last read
	invalid map[string]manifest // files that are not pods, as last read
	skipped map[string]string   // entries passed over at the last re-read, with the log line
	logged  map[string]string   // the last error logged per file, by re-reads and by events
	parsed  map[string]manifest // parse cache by file and content
}

func newFileSource(dir, nodeName string, logger *log.Logger) *fileSource {
	s := &fileSource{dir: dir, nodeName: nodeName, log: logger,
		store: map[string]manifest{}, fileKey: map[string]string{},
		valid: map[string]manifest{}, invalid: map[string]manifest{}, skipped: map[string]string{},
		logged: map[string]string{}, parsed: map[string]manifest{}}
	return s
}

// list is the full re-read (listConfig). It returns whether the running
// pods may have changed.
func (s *fileSource) list() bool {
	if s.dir == "" {
		return s.send(nil) // no staticPodPath: no file source
	}
	list, skipped, err := listManifests(s.dir, s.nodeName, s.parsed)
	if err != nil {
		s.log.Errorf("\"Unable to read config path\" err=%q path=%q", err.Error(), s.dir)
		return false
	}
	if _, err := os.Stat(s.dir); errors.Is(err, os.ErrNotExist) {
		// listConfig (pkg/kubelet/config/file.go) at every re-read: the
		// pods go, and the kubelet says so.
		s.log.Errorf("\"Unable to read config path\" err=%q path=%q", "path does not exist, ignoring", s.dir)
	}
	s.logSkipped(skipped)
	valid, invalid := map[string]manifest{}, map[string]manifest{}
	var pods []manifest
	for _, m := range list {
		if m.Err != nil {
			s.logOnce("list "+m.File, fmt.Sprintf("\"Could not process manifest file\" err=%q path=%q", m.Err.Error(), filepath.Join(s.dir, m.File)))
			invalid[m.File] = m
			continue
		}
		delete(s.logged, "list "+m.File)
		valid[m.File] = m
		s.fileKey[m.File] = m.key()
		pods = append(pods, m)
	}
	s.valid, s.invalid = valid, invalid
	if len(pods) == 0 {
		return s.send(nil)
	}
	store := map[string]manifest{}
	for _, m := range pods { // in name order: the last file of a pod wins
		store[m.key()] = m
	}
	s.store = store
	return s.send(store)
}

// event consumes one inotify event on the directory, as the kubelet's
// produceWatchEvent and consumeWatchEvent do (file_linux.go): a name
// starting with '.' is ignored; Create, Write and Chmod (in that order of
// precedence) read the file again, Remove and Rename delete its pod; any
// other event is ignored. It returns whether the running pods may have
// changed.
func (s *fileSource) event(e fsnotify.Event) bool {
	file := filepath.Base(e.Name)
	if strings.HasPrefix(file, ".") {
		return false
	}
	switch {
	case e.Op&(fsnotify.Create|fsnotify.Write|fsnotify.Chmod) != 0:
		return s.written(file)
	case e.Op&(fsnotify.Remove|fsnotify.Rename) != 0:
		return s.removed(file)
	}
	return false
}

// written consumes a Create, Write or Chmod event for file.
func (s *fileSource) written(file string) bool {
	path := filepath.Join(s.dir, file)
	m, regular := s.extract(file)
	if m.Err != nil {
		s.logOnce("event "+file, fmt.Sprintf("\"Unable to process watch event\" err=%q", fmt.Sprintf("can't process config file %q: %v", path, m.Err)))
		delete(s.valid, file)
		if regular { // a directory or a FIFO is no manifest at all
			s.invalid[file] = m
		}
		return false
	}
	delete(s.invalid, file)
	delete(s.logged, "event "+file)
	s.valid[file] = m
	s.fileKey[file] = m.key()
	s.store[m.key()] = m
	return s.send(s.store)
}

// removed consumes a Remove or Rename event for file.
func (s *fileSource) removed(file string) bool {
	delete(s.valid, file)
	delete(s.invalid, file)
	delete(s.logged, "event "+file)
	delete(s.logged, "list "+file)
	key, ok := s.fileKey[file]
	if !ok {
		return false
	}
	if _, ok := s.store[key]; !ok {
		s.log.Errorf("\"Unable to process watch event\" err=%q", fmt.Sprintf("the pod with key %s doesn't exist in cache", key))
		return false
	}
	delete(s.store, key)
	delete(s.fileKey, file)
	return s.send(s.store)
}

// extract reads one file as extractFromFile does: a regular file (through
// a symlink) of less than maxManifestSize bytes that decodes as a pod.
// regular says whether the entry is a regular file at all.
func (s *fileSource) extract(file string) (m manifest, regular bool) {
	path := filepath.Join(s.dir, file)
	m = manifest{File: file}
	st, err := os.Stat(path)
	switch {
	case err != nil:
		m.Err = err
		return m, false
	case st.IsDir():
		m.Err = fmt.Errorf("read %s: is a directory", path)
		return m, false
	case !st.Mode().IsRegular():
		// The kubelet would block opening a FIFO; the agent does not.
		m.Err = fmt.Errorf("%s is not a regular file", path)
		return m, false
	}
	data, err := readManifest(path)
	if err != nil {
		m.Err = err
		return m, true
	}
	m.Hash = contentHash(data)
	if c, ok := s.parsed[file]; ok && c.Hash == m.Hash {
		return c, true
	}
	m.Pod, m.Err = parsePod(path, data, s.nodeName)
	s.parsed[file] = m
	return m, true
}

// send records the store's pods as the running set; nil runs nothing.
// It reports whether that set changed.
func (s *fileSource) send(store map[string]manifest) bool {
	var pods []manifest
	for _, m := range store {
		pods = append(pods, m)
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].key() < pods[j].key() })
	same := len(pods) == len(s.running)
	for i := 0; same && i < len(pods); i++ {
		same = pods[i].File == s.running[i].File && pods[i].Hash == s.running[i].Hash
	}
	s.running = pods
	return !same
}

// logOnce logs msg as an error unless it is what was last logged under
// key: the kubelet repeats a bad file's error at every re-read, which
// would only bury the first.
func (s *fileSource) logOnce(key, msg string) {
	if s.logged[key] != msg {
		s.log.Errorf("%s", msg)
		s.logged[key] = msg
	}
}

// logSkipped logs, as errors the way the kubelet does, the directory
// entries a re-read passed over; each once until its message changes or
// it goes away and comes back. The kubelet repeats them on every re-read.
func (s *fileSource) logSkipped(skipped []skippedEntry) {
	now := make(map[string]string, len(skipped))
	for _, e := range skipped {
		now[e.File] = e.Msg
		if s.skipped[e.File] != e.Msg {
			s.log.Errorf("%s", e.Msg)
		}
	}
	s.skipped = now
}
