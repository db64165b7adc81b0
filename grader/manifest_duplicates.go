package grader

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ckat/ckat/internal/staticpod"
)

// duplicateManifestHint is the hint of a check failed by a second file
// defining the same static pod.
const duplicateManifestHint = "Keep backups of static pod manifests outside the manifests directory (in /root, say): the kubelet reads every file there whatever its name ends in, and of two files defining one pod it runs the last in name order at each re-read."

// otherManifests lists the files beside the manifest at manifestPath that
// define the same static pod as pod: every entry of the directory whose
// name does not start with '.', a regular file (through symlinks) that the
// kubelet decodes as a valid pod of the same namespace and name
// (pkg/kubelet/config/file.go, extractFromDir). A file the grader cannot
// read is passed over. The names are base names, sorted.
func otherManifests(ctx context.Context, t Target, manifestPath string, pod *corev1.Pod) []string {
	dir, self := path.Dir(manifestPath), path.Base(manifestPath)
	entries, err := t.Node.ReadDir(ctx, dir)
	if err != nil {
		return nil
	}
	want := podKey(pod)
	var found []string
	for _, e := range entries {
		name := e.Name()
		if name == self || strings.HasPrefix(name, ".") {
			continue
		}
		p := path.Join(dir, name)
		info, err := t.Node.Stat(ctx, p)
		if err != nil || !info.Mode().IsRegular() || info.Size() >= staticpod.MaxSize {
			continue
		}
		data, err := t.Node.ReadFile(ctx, p)
		if err != nil {
			continue
		}
		m, err := staticpod.Decode(data, staticpod.Options{})
		if err == nil && podKey(m.Pod) == want {
			found = append(found, name)
		}
	}
	return found
}

// podKey is the kubelet's key for a static pod in its file source's store
// (cache.MetaNamespaceKeyFunc after applyDefaults: the namespace defaults
// to "default"; every pod of the node gets the same name suffix).
func podKey(pod *corev1.Pod) string {
	ns := pod.Namespace
	if ns == "" {
		ns = metav1.NamespaceDefault
	}
	return ns + "/" + pod.Name
}

// duplicateManifestResult fails a check whose static pod is also defined
// by the files others, beside the manifest at manifestPath: kubelet v1.37
// keeps one pod per namespace/name, and each full re-read of the
// directory (every 20 s, --file-check-frequency) stores the pods in name
// order, so the last file wins (file.go, listConfig and replaceStore); a
// change to a file between re-reads makes that file's pod current until
// the next one (file_linux.go, consumeWatchEvent). Which file runs thus
// depends on the time: `cp etcd.yaml etcd.yaml.bak` then an edit of
// etcd.yaml puts etcd back on the old data within 20 s.
func duplicateManifestResult(manifestPath string, pod *corev1.Pod, others []string) Result {
	dir, self := path.Dir(manifestPath), path.Base(manifestPath)
	files := append([]string{self}, others...)
	sort.Strings(files)
	winner := files[len(files)-1]
	runs := fmt.Sprintf("so the kubelet runs %s's pod", winner)
	if winner != self {
		runs += fmt.Sprintf(", not %s's,", self)
	}
	return Result{Status: StatusFail,
		Message: fmt.Sprintf("%d files in %s define the static pod %s: %s. The kubelet keeps one pod per name and at each re-read of the directory (every 20s) the last file in name order wins, %s whatever was edited last; keep only %s there",
			len(files), dir, podKey(pod), strings.Join(files, " and "), runs, self),
		Evidence: []Evidence{{Source: dir, Field: "files defining pod " + podKey(pod), Want: self + " only", Got: strings.Join(files, ", ")}},
		Hint:     duplicateManifestHint,
	}
}
