package agent

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/ckat/ckat/labs/local/shim"
)

func findVolume(pod *corev1.Pod, name string) *corev1.Volume {
	for i := range pod.Spec.Volumes {
		if pod.Spec.Volumes[i].Name == name {
			return &pod.Spec.Volumes[i]
		}
	}
	return nil
}

// volumeError is a volume that cannot be set up; the pod waits with reason
// FailedMount, as the kubelet's does, until it can.
type volumeError struct{ msg string }

func (e *volumeError) Error() string { return e.msg }

// prepareMounts checks and creates each hostPath as its type asks and
// returns the container's bind mounts, parents before children.
// emptyDir volumes are directories under emptyDirRoot.
func prepareMounts(pod *corev1.Pod, c *corev1.Container, emptyDirRoot string) ([]shim.Mount, error) {
	var out []shim.Mount
	for _, m := range c.VolumeMounts {
		v := findVolume(pod, m.Name)
		var src string
		var file bool
		switch {
		case v.HostPath != nil:
			var err error
			file, err = checkHostPath(m.Name, v.HostPath)
			if err != nil {
				return nil, err
			}
			src = v.HostPath.Path
		case v.EmptyDir != nil:
			src = filepath.Join(emptyDirRoot, v.Name)
			if err := os.MkdirAll(src, 0o777); err != nil {
				return nil, fmt.Errorf("creating emptyDir %q: %w", v.Name, err)
			}
		}
		if m.SubPath != "" {
			src = filepath.Join(src, m.SubPath)
			if err := os.MkdirAll(src, 0o755); err != nil {
				return nil, &volumeError{fmt.Sprintf("volume %q: subPath %q: %v", m.Name, m.SubPath, err)}
			}
			file = false
		}
		// A relative mountPath is made absolute, as the kubelet's
		// makeMounts does (pkg/kubelet/kubelet_pods.go, MakeAbsolutePath).
		out = append(out, shim.Mount{Source: src, Target: path.Join("/", m.MountPath), ReadOnly: m.ReadOnly, File: file})
	}
	sort.SliceStable(out, func(i, j int) bool {
		return strings.Count(out[i].Target, "/") < strings.Count(out[j].Target, "/")
	})
	return out, nil
}

// checkHostPath applies a hostPath volume's type and says whether the path
// is a file. Messages read like the kubelet's FailedMount events.
func checkHostPath(volume string, hp *corev1.HostPathVolumeSource) (file bool, err error) {
	t := corev1.HostPathUnset
	if hp.Type != nil {
		t = *hp.Type
	}
	p := hp.Path
	fail := func(format string, args ...any) (bool, error) {
		return false, &volumeError{fmt.Sprintf("MountVolume.SetUp failed for volume %q : ", volume) + fmt.Sprintf(format, args...)}
	}
	// The kubelet's validation accepts a relative hostPath, but what it
	// then names depends on the working directories of the kubelet and
	// the container runtime; this node does not guess.
	if !filepath.IsAbs(p) {
		return fail("hostPath %q is not an absolute path", p)
	}
	st, statErr := os.Stat(p)
	if statErr != nil && !errors.Is(statErr, fs.ErrNotExist) {
		return fail("%v", statErr)
	}
	exists := statErr == nil
	switch t {
	case corev1.HostPathUnset, corev1.HostPathDirectoryOrCreate:
		if !exists {
			if err := os.MkdirAll(p, 0o755); err != nil {
				return fail("creating %s: %v", p, err)
			}
			return false, nil
		}
		if t == corev1.HostPathDirectoryOrCreate && !st.IsDir() {
			return fail("hostPath type check failed: %s is not a directory", p)
		}
		return !st.IsDir(), nil
	case corev1.HostPathDirectory:
		if !exists || !st.IsDir() {
			return fail("hostPath type check failed: %s is not a directory", p)
		}
		return false, nil
	case corev1.HostPathFileOrCreate:
		if !exists {
			f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				return fail("creating file %s: %v", p, err)
			}
			f.Close()
			return true, nil
		}
		if st.IsDir() {
			return fail("hostPath type check failed: %s is not a file", p)
		}
		return true, nil
	case corev1.HostPathFile:
		if !exists || !st.Mode().IsRegular() {
			return fail("hostPath type check failed: %s is not a file", p)
		}
		return true, nil
	case corev1.HostPathSocket:
		if !exists || st.Mode()&fs.ModeSocket == 0 {
			return fail("hostPath type check failed: %s is not a socket file", p)
		}
		return true, nil
	case corev1.HostPathCharDev, corev1.HostPathBlockDev:
		if !exists || st.Mode()&fs.ModeDevice == 0 {
			return fail("hostPath type check failed: %s is not a %s", p, t)
		}
		return true, nil
	default:
		return fail("unknown hostPath type %q", t)
	}
}
