package grader

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/ckat/ckat/internal/staticpod"
	"github.com/ckat/ckat/labs"
)

// ReadManifest reads the static pod manifest at path on node and decodes
// it as the kubelet does (internal/staticpod). A missing file keeps
// fs.ErrNotExist detectable; a file the kubelet would not run returns a
// *staticpod.Error.
func ReadManifest(ctx context.Context, node labs.Node, path string) (*corev1.Pod, error) {
	m, err := readStaticPod(ctx, node, path)
	if err != nil {
		return nil, err
	}
	return m.Pod, nil
}

// findStaticPod finds the file in the manifest directory of path that
// the kubelet runs the static pod of path from. The kubelet reads every
// file of the directory whatever its name and knows a pod by its
// metadata.name (pkg/kubelet/config/file.go, extractFromDir), so when path
// is not there, another file of the directory defining the pod runs it:
// kube-apiserver.yaml put back as kube-apiserver-new.yaml. The pod's name
// is path's base name without its extension, as kubeadm names each static
// pod's file after the pod. It returns the file and its pod; when no file
// defines the pod, path's own error (fs.ErrNotExist for a missing file).
// Of several files defining the pod it returns the first in name order;
// otherManifests then lists the rest.
func findStaticPod(ctx context.Context, node labs.Node, p string) (string, *staticpod.Manifest, error) {
	m, err := readStaticPod(ctx, node, p)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return p, m, err
	}
	dir, base := path.Dir(p), path.Base(p)
	name := strings.TrimSuffix(base, path.Ext(base))
	entries, derr := node.ReadDir(ctx, dir)
	if derr != nil {
		return p, nil, err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		other := path.Join(dir, e.Name())
		if om, oerr := readStaticPod(ctx, node, other); oerr == nil && om.Pod.Name == name {
			return other, om, nil
		}
	}
	return p, nil, err
}

// readStaticPod is ReadManifest with what the kubelet ignores in the file.
func readStaticPod(ctx context.Context, node labs.Node, path string) (*staticpod.Manifest, error) {
	info, err := node.Stat(ctx, path)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		return nil, &staticpod.Error{Path: path, Msg: "is a directory, not a manifest file"}
	}
	if info.Size() >= staticpod.MaxSize {
		return nil, &staticpod.Error{Path: path, Msg: fmt.Sprintf("is %d bytes; the kubelet reads static pod manifests under %d bytes", info.Size(), staticpod.MaxSize)}
	}
	data, err := node.ReadFile(ctx, path)
	if err != nil {
		return nil, err
	}
	m, err := staticpod.Decode(data, staticpod.Options{})
	if err != nil {
		var se *staticpod.Error
		if errors.As(err, &se) {
			se.Path = path
		}
		return nil, err
	}
	return m, nil
}

// ignoredNote says what the kubelet ignored in a manifest, for a message;
// "" when nothing.
func ignoredNote(m *staticpod.Manifest) string {
	if m == nil || len(m.Ignored) == 0 {
		return ""
	}
	parts := make([]string, len(m.Ignored))
	for i, f := range m.Ignored {
		parts[i] = f.String()
	}
	return "; the kubelet ignores " + strings.Join(parts, "; ")
}

// manifestReadResult turns a ReadManifest error into the check's verdict: a
// missing or broken manifest is the learner's (fail); any other error means
// the grader could not look.
func manifestReadResult(path, what string, err error) Result {
	var me *staticpod.Error
	switch {
	case errors.As(err, &me):
		return Result{Status: StatusFail,
			Message:  fmt.Sprintf("%s does not parse as a Pod, so the kubelet will not run it: %v", what, err),
			Evidence: []Evidence{{Source: path, Field: "manifest", Want: "a valid Pod manifest", Got: me.Msg}}}
	case errors.Is(err, fs.ErrNotExist):
		return Result{Status: StatusFail,
			Message:  fmt.Sprintf("%s is missing: %s does not exist", what, path),
			Evidence: []Evidence{{Source: path, Field: "file", Want: "present", Got: "missing"}}}
	default:
		return Result{Status: StatusError, Message: fmt.Sprintf("could not read %s: %v", path, err)}
	}
}
