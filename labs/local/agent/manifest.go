package agent

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ckat/ckat/internal/staticpod"
)

// Annotations the kubelet puts on static and mirror pods.
const (
	annotationConfigHash   = "kubernetes.io/config.hash"
	annotationConfigMirror = "kubernetes.io/config.mirror"
	annotationConfigSource = "kubernetes.io/config.source"
	annotationConfigSeen   = "kubernetes.io/config.seen"
)

// manifest is one file in the manifest directory: a pod, or the reason it
// is not one.
type manifest struct {
	File string // base name, e.g. etcd.yaml
	Hash string // of the file's content; empty if it could not be read
	Pod  *corev1.Pod
	Err  error
}

// key is the pod's key in the kubelet's store: namespace/name
// (cache.MetaNamespaceKeyFunc, after applyDefaults).
func (m manifest) key() string { return m.Pod.Namespace + "/" + m.Pod.Name }

// maxManifestSize is the most the kubelet reads of a manifest
// (maxConfigLength in pkg/kubelet/config/common.go); a file this long or
// longer is not a pod.
const maxManifestSize = staticpod.MaxSize

// errManifestTooLong is the error the kubelet logs for a file of
// maxManifestSize bytes or more (k8s.io/utils/io.ErrLimitReached).
var errManifestTooLong = errors.New("the read limit is reached")

// skippedEntry is an entry of the manifest directory that the kubelet
// passes over with an error in its log, and that is therefore neither a
// pod nor an invalid manifest: a subdirectory, something that is not a
// regular file (a FIFO, socket or device), or a name it cannot stat (a
// dangling symlink).
type skippedEntry struct {
	File string // base name
	Msg  string // the kubelet's log line for it
}

// listManifests reads dir as the kubelet's file source does
// (pkg/kubelet/config/file.go, extractFromDir, which globs dir/[^.]*):
// every entry whose name does not start with '.' is a candidate, whatever
// its name ends in, so etcd.yaml.bak and README are read as manifests too.
// Entries are taken in name order and followed through symlinks. A
// regular file is listed: as a pod, or with Err set when it is not one
// (it does not parse, is not a valid pod, cannot be read, or is 10 MiB or
// longer). Two files may define one pod: which runs is the file source's
// business (source.go). A directory (not recursed into), any other non-regular file and a
// dangling symlink are not listed but returned in skipped, with what the
// kubelet logs for them. Dotfiles (editor swap files, .etcd.yaml.tmp) are
// neither. A file that goes away between listing and reading is left out.
// A missing dir is empty. A file whose content is unchanged since the last
// call with the same cache is not parsed again.
func listManifests(dir, nodeName string, cache map[string]manifest) (list []manifest, skipped []skippedEntry, err error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading manifest directory: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		path := filepath.Join(dir, name)
		st, err := os.Stat(path)
		switch {
		case err != nil:
			skipped = append(skipped, skippedEntry{name, fmt.Sprintf("\"Could not get metadata\" err=%q path=%q", err.Error(), path)})
			continue
		case st.IsDir():
			skipped = append(skipped, skippedEntry{name, fmt.Sprintf("\"Provided manifest path is a directory, not recursing into manifest path\" path=%q", path)})
			continue
		case !st.Mode().IsRegular():
			skipped = append(skipped, skippedEntry{name, fmt.Sprintf("\"Manifest path is not a directory or file\" path=%q mode=%q", path, st.Mode().String())})
			continue
		}
		data, err := readManifest(path)
		if errors.Is(err, os.ErrNotExist) {
			continue // went away between listing and reading
		}
		m := manifest{File: name}
		if err != nil {
			// No content hash: the next good read is parsed afresh.
			m.Err = err
			list = append(list, m)
			continue
		}
		m.Hash = contentHash(data)
		if c, ok := cache[name]; ok && c.Hash == m.Hash {
			m = c
		} else {
			m.Pod, m.Err = parsePod(path, data, nodeName)
		}
		list = append(list, m)
	}
	if cache != nil {
		clear(cache)
		for _, m := range list {
			cache[m.File] = m
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].File < list[j].File })
	return list, skipped, nil
}

// contentHash identifies a manifest's content.
func contentHash(data []byte) string {
	sum := md5.Sum(data)
	return hex.EncodeToString(sum[:])
}

// readManifest reads at most maxManifestSize bytes of path, as the kubelet
// does, and fails with errManifestTooLong when the file has that many.
func readManifest(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxManifestSize))
	if err != nil {
		return data, err
	}
	if len(data) >= maxManifestSize {
		return data, errManifestTooLong
	}
	return data, nil
}

// parsePod decodes a static pod manifest as the kubelet does
// (internal/staticpod: its decoder, defaults and validation), checks what
// this node's agent cannot run, and applies the kubelet's static pod
// defaults (applyDefaults in pkg/kubelet/config/common.go): the name gets
// "-NODENAME", the namespace defaults to "default", the UID and config
// hash derive from the content, node name and path. Errors read like the
// kubelet's, with the path.
func parsePod(path string, data []byte, nodeName string) (*corev1.Pod, error) {
	m, err := staticpod.Decode(data, staticpod.Options{NodeName: nodeName})
	var se *staticpod.Error
	switch {
	case errors.As(err, &se) && se.Parsed:
		return nil, fmt.Errorf("%s: %s", path, se.Kubelet)
	case errors.As(err, &se):
		return nil, errors.New(se.KubeletMessage(path))
	case err != nil:
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	pod := m.Pod
	if err := agentLimits(pod); err != nil {
		return nil, fmt.Errorf("%s: invalid pod: %w", path, err)
	}
	h := md5.New()
	h.Write(data)
	fmt.Fprintf(h, "host:%s", nodeName)
	fmt.Fprintf(h, "file:%s", path)
	hash := hex.EncodeToString(h.Sum(nil))

	pod.Name = pod.Name + "-" + strings.ToLower(nodeName)
	if pod.Namespace == "" {
		pod.Namespace = metav1.NamespaceDefault
	}
	pod.UID = types.UID(hash)
	pod.Spec.NodeName = nodeName
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	pod.Annotations[annotationConfigHash] = hash
	pod.Annotations[annotationConfigSource] = "file"
	return pod, nil
}

// agentLimits refuses what this node's agent cannot run though the
// kubelet would: init containers, volumes other than hostPath and
// emptyDir, and a container without a command (there are no images).
func agentLimits(pod *corev1.Pod) error {
	if len(pod.Spec.InitContainers) > 0 {
		return errors.New("spec.initContainers: not supported by this node's agent")
	}
	for i, v := range pod.Spec.Volumes {
		if v.HostPath == nil && v.EmptyDir == nil {
			return fmt.Errorf("spec.volumes[%d]: volume %q: only hostPath and emptyDir volumes are supported on this node", i, v.Name)
		}
	}
	for i, c := range pod.Spec.Containers {
		if len(c.Command) == 0 {
			return fmt.Errorf("spec.containers[%d].command: Required value: this node has no images, so a container needs a command", i)
		}
	}
	return nil
}
