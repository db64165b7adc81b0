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
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
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
	// Duplicate is set on a valid pod whose name an earlier file (in name
	// order) already uses; the agent does not run it (see markDuplicates).
	Duplicate bool
}

// markDuplicates flags every manifest whose pod has the name of a pod in
// an earlier file: the first file in name order wins, so etcd-old.yaml
// shadows etcd.yaml and etcd.yaml shadows etcd.yaml.bak. The shadowed file
// is reported with the message of the kubelet's duplicate check
// (pkg/kubelet/config/config.go, filterInvalidPods). That is this agent's
// rule, chosen to be predictable; the kubelet v1.37 is not: its file
// source keeps one pod per name in a store keyed by namespace/name, so each
// full re-read of the directory lets the last file in name order replace
// the others without a message (etcd.yaml.bak over etcd.yaml), and a
// change to a file makes that file's pod current until the next re-read.
func markDuplicates(list []manifest) {
	seen := map[string]string{}
	for i := range list {
		m := &list[i]
		if m.Err != nil {
			continue
		}
		key := m.Pod.Namespace + "/" + m.Pod.Name
		if first, ok := seen[key]; ok {
			m.Duplicate = true
			m.Err = fmt.Errorf("Error validating pod %s_%s(%s) from file due to duplicate pod name %q, ignoring (%s defines it first)",
				m.Pod.Name, m.Pod.Namespace, m.Pod.UID, m.Pod.Name, first)
			continue
		}
		seen[key] = m.File
	}
}

// maxManifestSize is the most the kubelet reads of a manifest
// (maxConfigLength in pkg/kubelet/config/common.go); a file this long or
// longer is not a pod.
const maxManifestSize = 10 << 20

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
// longer); then markDuplicates flags pods whose name an earlier file
// uses. A directory (not recursed into), any other non-regular file and a
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
		sum := md5.Sum(data)
		m.Hash = hex.EncodeToString(sum[:])
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
	markDuplicates(list)
	return list, skipped, nil
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

// parsePod decodes a static pod manifest as the kubelet does and applies
// the kubelet's static pod defaults: the name gets "-NODENAME", the
// namespace defaults to "default", the UID and config hash are derived
// from the content, node name and path. Errors read like the kubelet's.
func parsePod(path string, data []byte, nodeName string) (*corev1.Pod, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%s: couldn't parse as pod(error converting YAML to JSON: %w), please check config file", path, err)
	}
	obj, gvk, err := scheme.Codecs.UniversalDeserializer().Decode(js, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: couldn't parse as pod(%w), please check config file", path, err)
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, fmt.Errorf("%s: couldn't parse as pod(invalid pod: kind %s, want Pod), please check config file", path, gvk.Kind)
	}
	if err := validatePod(pod); err != nil {
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

// validatePod checks what the agent needs to run a pod, as the kubelet's
// validation would reject it.
func validatePod(pod *corev1.Pod) error {
	if pod.Name == "" {
		return errors.New("metadata.name: Required value")
	}
	if len(pod.Spec.Containers) == 0 {
		return errors.New("spec.containers: Required value")
	}
	if len(pod.Spec.InitContainers) > 0 {
		return errors.New("spec.initContainers: not supported by this node's agent")
	}
	volumes := map[string]corev1.Volume{}
	for i, v := range pod.Spec.Volumes {
		if v.Name == "" {
			return fmt.Errorf("spec.volumes[%d].name: Required value", i)
		}
		if _, dup := volumes[v.Name]; dup {
			return fmt.Errorf("spec.volumes[%d].name: Duplicate value: %q", i, v.Name)
		}
		switch {
		case v.HostPath != nil:
			if !filepath.IsAbs(v.HostPath.Path) {
				return fmt.Errorf("spec.volumes[%d].hostPath.path: Invalid value: %q: must be an absolute path", i, v.HostPath.Path)
			}
		case v.EmptyDir != nil:
		default:
			return fmt.Errorf("spec.volumes[%d]: volume %q: only hostPath and emptyDir volumes are supported on this node", i, v.Name)
		}
		volumes[v.Name] = v
	}
	names := map[string]bool{}
	for i, c := range pod.Spec.Containers {
		if c.Name == "" {
			return fmt.Errorf("spec.containers[%d].name: Required value", i)
		}
		if names[c.Name] {
			return fmt.Errorf("spec.containers[%d].name: Duplicate value: %q", i, c.Name)
		}
		names[c.Name] = true
		if c.Image == "" {
			return fmt.Errorf("spec.containers[%d].image: Required value", i)
		}
		if len(c.Command) == 0 {
			return fmt.Errorf("spec.containers[%d].command: Required value: this node has no images, so a container needs a command", i)
		}
		for j, m := range c.VolumeMounts {
			if _, ok := volumes[m.Name]; !ok {
				return fmt.Errorf("spec.containers[%d].volumeMounts[%d].name: Not found: %q", i, j, m.Name)
			}
			if !filepath.IsAbs(m.MountPath) {
				return fmt.Errorf("spec.containers[%d].volumeMounts[%d].mountPath: Invalid value: %q: must be an absolute path", i, j, m.MountPath)
			}
		}
	}
	return nil
}
