package crilog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
)

// PodLogsDir is where a node keeps its pods' container logs.
const PodLogsDir = "/var/log/pods"

// ContainerLogsDir is where the kubelet links each container's log
// (legacyContainerLogsDir in pkg/kubelet/kuberuntime/legacy.go).
const ContainerLogsDir = "/var/log/containers"

// PodDir is the log directory of a pod under root (PodLogsDir on a node):
// NAMESPACE_NAME_UID, as the kubelet's BuildPodLogsDirectory
// (pkg/kubelet/kuberuntime/helpers.go) names it.
func PodDir(root, namespace, name, uid string) string {
	return path.Join(root, namespace+"_"+name+"_"+uid)
}

// ContainerLogPath is the log of one run of a container in podDir:
// CONTAINER/RESTART.log, as the kubelet's buildContainerLogsPath names it.
func ContainerLogPath(podDir, container string, restart int) string {
	return path.Join(podDir, container, strconv.Itoa(restart)+".log")
}

// PodNameOfDir returns POD of a directory named NAMESPACE_POD_UID, or ""
// for a directory not named so.
func PodNameOfDir(dir string) string {
	parts := strings.Split(path.Base(dir), "_")
	if len(parts) != 3 {
		return ""
	}
	return parts[1]
}

// Node is what reading logs needs of a node; labs.Node has it. Paths are
// the node's.
type Node interface {
	// Name is the node's hostname, the suffix of its static pods' names.
	Name() string
	// ReadDir lists a directory, sorted by name.
	ReadDir(ctx context.Context, path string) ([]fs.DirEntry, error)
	// HostPath returns a host path at which the node's file can be read;
	// release removes any copy.
	HostPath(ctx context.Context, path string) (hostPath string, release func(), err error)
}

// Options say which container log ReadLogs prints.
type Options struct {
	// Pod is the pod's name, e.g. etcd-controlplane; the static pod's own
	// name (etcd) is accepted too.
	Pod string
	// Container is needed only when the pod has several.
	Container string
	// Previous prints the run before the current one.
	Previous bool
	// Tail prints only the last lines; negative prints all.
	Tail int
}

// ReadLogs writes a container's log from node to w as `kubectl logs`
// prints it: the messages without the CRI timestamps and stream tags.
func ReadLogs(ctx context.Context, node Node, opts Options, w io.Writer) error {
	podDir, err := findPodDir(ctx, node, opts.Pod)
	if err != nil {
		return err
	}
	podName := PodNameOfDir(podDir)
	container, err := pickContainer(ctx, node, podDir, podName, opts.Container)
	if err != nil {
		return err
	}
	runs, err := Runs(ctx, node, path.Join(podDir, container))
	if err != nil {
		return err
	}
	if len(runs) == 0 {
		return fmt.Errorf("container %q in pod %q has not started yet", container, podName)
	}
	run := runs[len(runs)-1]
	if opts.Previous {
		if len(runs) < 2 || runs[len(runs)-2] != run-1 {
			return fmt.Errorf("previous terminated container %q in pod %q not found", container, podName)
		}
		run--
	}
	return CopyFile(ctx, node, ContainerLogPath(podDir, container, run), w, opts.Tail)
}

// CopyFile writes the messages of the node's CRI log file to w (see Copy).
func CopyFile(ctx context.Context, node Node, file string, w io.Writer, tail int) error {
	hostPath, release, err := node.HostPath(ctx, file)
	if err != nil {
		return fmt.Errorf("reading %s: %w", file, err)
	}
	defer release()
	f, err := os.Open(hostPath)
	if err != nil {
		return fmt.Errorf("reading %s: %w", file, err)
	}
	defer f.Close()
	return Copy(f, w, tail)
}

// findPodDir finds the log directory NAMESPACE_POD_UID of pod; when a
// changed manifest left several, the one written last.
func findPodDir(ctx context.Context, node Node, pod string) (string, error) {
	entries, err := node.ReadDir(ctx, PodLogsDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("reading %s on the node: %w", PodLogsDir, err)
	}
	names := map[string]bool{}
	var candidates []string
	for _, e := range entries {
		name := PodNameOfDir(e.Name())
		if name == "" {
			continue
		}
		names[name] = true
		if name == pod || name == pod+"-"+node.Name() {
			candidates = append(candidates, path.Join(PodLogsDir, e.Name()))
		}
	}
	if len(candidates) == 0 {
		var known []string
		for n := range names {
			known = append(known, n)
		}
		sort.Strings(known)
		if len(known) == 0 {
			return "", fmt.Errorf("pod %q not found: no pod has run on node %s yet", pod, node.Name())
		}
		return "", fmt.Errorf("pod %q not found on node %s (pods with logs: %s)", pod, node.Name(), strings.Join(known, ", "))
	}
	best, bestTime := "", int64(-1)
	for _, c := range candidates {
		t := newestLogTime(ctx, node, c)
		if t > bestTime {
			best, bestTime = c, t
		}
	}
	return best, nil
}

// newestLogTime is the latest modification time of any log under dir.
func newestLogTime(ctx context.Context, node Node, dir string) int64 {
	var newest int64
	containers, _ := node.ReadDir(ctx, dir)
	for _, c := range containers {
		logs, _ := node.ReadDir(ctx, path.Join(dir, c.Name()))
		for _, l := range logs {
			if info, err := l.Info(); err == nil && info.ModTime().UnixNano() > newest {
				newest = info.ModTime().UnixNano()
			}
		}
	}
	return newest
}

func pickContainer(ctx context.Context, node Node, podDir, pod, want string) (string, error) {
	entries, err := node.ReadDir(ctx, podDir)
	if err != nil {
		return "", fmt.Errorf("reading %s on the node: %w", podDir, err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	switch {
	case want != "":
		for _, n := range names {
			if n == want {
				return n, nil
			}
		}
		return "", fmt.Errorf("container %q is not in pod %q (containers: %s)", want, pod, strings.Join(names, ", "))
	case len(names) == 1:
		return names[0], nil
	case len(names) == 0:
		return "", fmt.Errorf("pod %q has no container logs yet", pod)
	default:
		return "", fmt.Errorf("pod %q has several containers: choose one of %s with -c", pod, strings.Join(names, ", "))
	}
}

// Runs returns the run numbers N of the N.log files in a container's log
// directory, sorted.
func Runs(ctx context.Context, node Node, dir string) ([]int, error) {
	entries, err := node.ReadDir(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("reading %s on the node: %w", dir, err)
	}
	var runs []int
	for _, e := range entries {
		if n, err := strconv.Atoi(strings.TrimSuffix(e.Name(), ".log")); err == nil && strings.HasSuffix(e.Name(), ".log") {
			runs = append(runs, n)
		}
	}
	sort.Ints(runs)
	return runs, nil
}

// LastLine returns the last message of pod's newest container log, the
// file written last (a container that keeps exiting ends its log with why),
// and that file's node path. The newest file, not the highest run number:
// a node whose pods' state was put back may keep older runs' files.
func LastLine(ctx context.Context, node Node, pod string) (line, file string, err error) {
	podDir, err := findPodDir(ctx, node, pod)
	if err != nil {
		return "", "", err
	}
	var newest int64
	containers, err := node.ReadDir(ctx, podDir)
	if err != nil {
		return "", "", fmt.Errorf("reading %s on the node: %w", podDir, err)
	}
	for _, c := range containers {
		logs, _ := node.ReadDir(ctx, path.Join(podDir, c.Name()))
		for _, l := range logs {
			info, err := l.Info()
			if err == nil && strings.HasSuffix(l.Name(), ".log") && info.ModTime().UnixNano() > newest {
				newest, file = info.ModTime().UnixNano(), path.Join(podDir, c.Name(), l.Name())
			}
		}
	}
	if file == "" {
		return "", "", fmt.Errorf("pod %q has no container logs yet", pod)
	}
	var b strings.Builder
	if err := CopyFile(ctx, node, file, &b, 1); err != nil {
		return "", file, err
	}
	return strings.TrimSpace(b.String()), file, nil
}
