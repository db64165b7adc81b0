package agent

import (
	"bufio"
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

	"github.com/ckat/ckat/labs"
)

// DefaultPodLogDir is where a node keeps its pods' container logs.
const DefaultPodLogDir = "/var/log/pods"

// LogOptions say which container log ReadLogs prints.
type LogOptions struct {
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
func ReadLogs(ctx context.Context, node labs.Node, opts LogOptions, w io.Writer) error {
	podDir, err := findPodLogDir(ctx, node, opts.Pod)
	if err != nil {
		return err
	}
	podName := podNameOfDir(podDir)
	container, err := pickContainer(ctx, node, podDir, podName, opts.Container)
	if err != nil {
		return err
	}
	runs, err := logRuns(ctx, node, path.Join(podDir, container))
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
	file := path.Join(podDir, container, strconv.Itoa(run)+".log")
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
	return copyCRILog(f, w, opts.Tail)
}

// findPodLogDir finds the log directory NAMESPACE_POD_UID of pod; when a
// changed manifest left several, the one written last.
func findPodLogDir(ctx context.Context, node labs.Node, pod string) (string, error) {
	entries, err := node.ReadDir(ctx, DefaultPodLogDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("reading %s on the node: %w", DefaultPodLogDir, err)
	}
	names := map[string]bool{}
	var candidates []string
	for _, e := range entries {
		name := podNameOfDir(e.Name())
		if name == "" {
			continue
		}
		names[name] = true
		if name == pod || name == pod+"-"+node.Name() {
			candidates = append(candidates, path.Join(DefaultPodLogDir, e.Name()))
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

// podNameOfDir returns POD of a directory named NAMESPACE_POD_UID.
func podNameOfDir(dir string) string {
	parts := strings.Split(path.Base(dir), "_")
	if len(parts) != 3 {
		return ""
	}
	return parts[1]
}

// newestLogTime is the latest modification time of any log under dir.
func newestLogTime(ctx context.Context, node labs.Node, dir string) int64 {
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

func pickContainer(ctx context.Context, node labs.Node, podDir, pod, want string) (string, error) {
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

// logRuns returns the run numbers N of the N.log files in dir, sorted.
func logRuns(ctx context.Context, node labs.Node, dir string) ([]int, error) {
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

// copyCRILog writes the messages of a CRI log: "TIMESTAMP STREAM TAG MSG"
// lines, a P tag continuing on the next line. tail >= 0 keeps only the
// last tail lines.
func copyCRILog(r io.Reader, w io.Writer, tail int) error {
	br := bufio.NewReaderSize(r, 64*1024)
	var ring []string
	out := bufio.NewWriter(w)
	emit := func(s string) {
		if tail < 0 {
			_, _ = out.WriteString(s) // a write error shows at Flush
			return
		}
		ring = append(ring, s)
		if len(ring) > tail {
			ring = ring[1:]
		}
	}
	var partial strings.Builder
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			msg, full := parseCRILine(strings.TrimSuffix(line, "\n"))
			partial.WriteString(msg)
			if full {
				partial.WriteByte('\n')
				emit(partial.String())
				partial.Reset()
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if partial.Len() > 0 {
		emit(partial.String())
	}
	for _, s := range ring {
		_, _ = out.WriteString(s)
	}
	return out.Flush()
}

// parseCRILine splits a CRI log line into its message and whether it ends
// a line; a line not in the format is its own message.
func parseCRILine(line string) (string, bool) {
	f := strings.SplitN(line, " ", 4)
	if len(f) < 3 || (f[1] != "stdout" && f[1] != "stderr") || (f[2] != "F" && f[2] != "P") {
		return line, true
	}
	msg := ""
	if len(f) == 4 {
		msg = f[3]
	}
	return msg, f[2] == "F"
}
