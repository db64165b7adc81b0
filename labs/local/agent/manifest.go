package agent

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
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
	Hash string // of the file's content
	Pod  *corev1.Pod
	Err  error
	// Duplicate is set on a valid pod whose name an earlier file (in name
	// order) already uses; the kubelet ignores it.
	Duplicate bool
}

// markDuplicates flags every manifest whose pod has the name of a pod in
// an earlier file, as the kubelet's duplicate check does: the first file
// in name order wins, so etcd-old.yaml shadows etcd.yaml.
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

// listManifests reads every file the kubelet would read in dir: regular
// files (or symlinks to them) not starting with '.' and ending in .yaml,
// .yml or .json; subdirectories are ignored. A missing dir is empty. A
// file whose content is unchanged since the last call with the same
// cache is not parsed again.
func listManifests(dir, nodeName string, cache map[string]manifest) ([]manifest, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading manifest directory: %w", err)
	}
	var out []manifest
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		switch filepath.Ext(name) {
		case ".yaml", ".yml", ".json":
		default:
			continue
		}
		path := filepath.Join(dir, name)
		st, err := os.Stat(path)
		if err != nil || !st.Mode().IsRegular() {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			continue // went away between listing and reading
		}
		sum := md5.Sum(data)
		m := manifest{File: name, Hash: hex.EncodeToString(sum[:])}
		if c, ok := cache[name]; ok && c.Hash == m.Hash {
			m = c
		} else {
			m.Pod, m.Err = parsePod(path, data, nodeName)
		}
		out = append(out, m)
	}
	if cache != nil {
		clear(cache)
		for _, m := range out {
			cache[m.File] = m
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].File < out[j].File })
	markDuplicates(out)
	return out, nil
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
