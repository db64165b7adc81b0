package grader

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/ckat/ckat/internal/kubeadm"
)

// manifestSearchDirs are where a learner commonly leaves a static pod
// manifest moved out of the manifest directory.
var manifestSearchDirs = []string{"/tmp", "/root", kubeadm.KubernetesDir, "/opt", "/var/tmp", "/home"}

// Run checks that a file in Path's directory defines Path's pod as a Pod
// the kubelet runs (Path itself, or another file defining the pod by its
// name: findStaticPod), and is the only file there defining that pod.
func (c *ManifestPresentCheck) Run(ctx context.Context, t Target) Result {
	file, m, err := findStaticPod(ctx, t.Node, c.Path)
	if err == nil {
		if others := otherManifests(ctx, t, file, m.Pod); len(others) > 0 {
			return duplicateManifestResult(file, m.Pod, others)
		}
		if file != c.Path {
			return Result{Status: StatusPass,
				Message: fmt.Sprintf("%s defines the static pod %s and parses as a Pod%s: the kubelet runs every file in %s whatever its name",
					file, podKey(m.Pod), ignoredNote(m), path.Dir(file)),
				Evidence: []Evidence{{Source: path.Dir(c.Path), Field: "file defining pod " + podKey(m.Pod), Want: "present", Got: "present as " + path.Base(file) + ", a valid Pod"}}}
		}
		return Result{Status: StatusPass, Message: fmt.Sprintf("%s is in place and parses as a Pod%s", c.Path, ignoredNote(m)),
			Evidence: []Evidence{{Source: c.Path, Field: "file", Want: "present", Got: "present, a valid Pod"}}}
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return manifestReadResult(c.Path, c.Path, err)
	}
	dir, base := path.Dir(c.Path), path.Base(c.Path)
	found := findStrayManifests(ctx, t, c.Path)
	msg := fmt.Sprintf("%s is not in %s (looked for %s), so the kubelet does not run it", base, dir, c.Path)
	got := "missing"
	if len(found) > 0 {
		msg += fmt.Sprintf("; found %s: move it back to %s", strings.Join(found, ", "), c.Path)
		got = "missing; found " + strings.Join(found, ", ")
	}
	return Result{Status: StatusFail, Message: msg,
		Evidence: []Evidence{{Source: dir, Field: base, Want: "present", Got: got}}}
}

// findStrayManifests lists files that look like the manifest at want but are
// elsewhere or renamed (kube-apiserver.yaml.bak, /tmp/kube-apiserver.yaml).
func findStrayManifests(ctx context.Context, t Target, want string) []string {
	stem := strings.TrimSuffix(path.Base(want), path.Ext(want))
	dirs := append([]string{path.Dir(want)}, manifestSearchDirs...)
	seen := map[string]bool{}
	var found []string
	for _, dir := range dirs {
		if seen[dir] {
			continue
		}
		seen[dir] = true
		entries, err := t.Node.ReadDir(ctx, dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			p := path.Join(dir, e.Name())
			if p == want || e.IsDir() || !strings.Contains(e.Name(), stem) {
				continue
			}
			found = append(found, p)
		}
	}
	sort.Strings(found)
	return found
}

// Run checks that the manifest's first container sets Flag to Want, and
// that no other file in its directory defines the same pod. The manifest
// is the file that defines Path's pod (findStaticPod).
func (c *ManifestArgCheck) Run(ctx context.Context, t Target) Result {
	file, m, err := findStaticPod(ctx, t.Node, c.Path)
	if err != nil {
		return manifestReadResult(c.Path, c.Path, err)
	}
	pod := m.Pod
	if others := otherManifests(ctx, t, file, pod); len(others) > 0 {
		return duplicateManifestResult(file, pod, others)
	}
	flag := "--" + strings.TrimLeft(c.Flag, "-")
	container := pod.Spec.Containers[0]
	field := fmt.Sprintf("spec.containers[%s] %s", container.Name, flag)
	values := FlagValues(container, flag)
	if len(values) == 0 {
		return Result{Status: StatusFail,
			Message:  fmt.Sprintf("%s does not set %s in container %s's command or args", file, flag, container.Name),
			Evidence: []Evidence{{Source: file, Field: field, Want: c.Want, Got: "(not set)"}}}
	}
	// The last occurrence wins, as with every flag parser the control
	// plane's components use.
	got := values[len(values)-1]
	ev := []Evidence{{Source: file, Field: field, Want: c.Want, Got: got}}
	if len(values) > 1 {
		ev[0].Got = fmt.Sprintf("%s (set %d times: %s; the last wins)", got, len(values), strings.Join(values, ", "))
	}
	if got != c.Want {
		return Result{Status: StatusFail, Message: fmt.Sprintf("%s is %q, want %q", flag, got, c.Want), Evidence: ev}
	}
	return Result{Status: StatusPass, Message: fmt.Sprintf("%s is %q", flag, got), Evidence: ev}
}

// FlagValues returns every value the container's command and args give to
// flag ("--data-dir"), as --flag=value or --flag value, in order.
func FlagValues(c corev1.Container, flag string) []string {
	argv := append(append([]string{}, c.Command...), c.Args...)
	var values []string
	for i := 0; i < len(argv); i++ {
		if !strings.HasPrefix(argv[i], "-") {
			continue
		}
		// Go's flag packages accept one or two dashes.
		name := "--" + strings.TrimLeft(argv[i], "-")
		switch {
		case strings.HasPrefix(name, flag+"="):
			values = append(values, strings.TrimPrefix(name, flag+"="))
		case name == flag && i+1 < len(argv):
			values = append(values, argv[i+1])
			i++
		}
	}
	return values
}
