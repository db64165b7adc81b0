package grader

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/ckat/ckat/internal/crilog"
	"github.com/ckat/ckat/labs"
)

// Static pods the grader asks the node's kubelet about, by their names in
// kubeadm's manifests.
const (
	etcdPod      = "etcd"
	apiServerPod = "kube-apiserver"
)

// podState is what the node's kubelet reports of the static pod name
// (etcdPod, apiServerPod): the entry that runs, else the one the kubelet
// keeps restarting, else any. It is nil when the node does not report its
// static pods, or reports no such pod (reported says which): a check that
// polls then goes on.
func podState(ctx context.Context, t Target, name string) (p *labs.StaticPodStatus, reported bool) {
	r, ok := t.Node.(labs.StaticPodReporter)
	if !ok || t.Node == nil {
		return nil, false
	}
	pods, err := r.StaticPods(ctx)
	if err != nil {
		return nil, false
	}
	var found *labs.StaticPodStatus
	rank := func(p *labs.StaticPodStatus) int {
		switch {
		case p.Running:
			return 2
		case p.Reason == labs.ReasonCrashLoopBackOff:
			return 1
		}
		return 0
	}
	for i := range pods {
		p := &pods[i]
		if p.Name != name+"-"+t.Node.Name() {
			continue
		}
		if found == nil || rank(p) > rank(found) {
			found = p
		}
	}
	return found, true
}

// crashLooping reports a pod whose container is not running because it
// exited again and again: the kubelet waits out a back-off before it
// starts it once more (CrashLoopBackOff, as crictl ps -a and kubectl get
// pods show it).
func crashLooping(p *labs.StaticPodStatus) bool {
	return p != nil && !p.Running && p.Reason == labs.ReasonCrashLoopBackOff && !p.LastStartedAt.IsZero()
}

// exits describes a crash-looping pod's exits for a learner: how many,
// the last exit code, how long the last run lasted, and the last line of
// its log ("exited 3 times, the last time with code 1 after 2.1s: ...").
func exits(ctx context.Context, t Target, name string, p *labs.StaticPodStatus) string {
	s := fmt.Sprintf("exited %d times, the last time with code %d after %s", p.Restarts, p.LastExitCode,
		p.LastFinishedAt.Sub(p.LastStartedAt).Round(100*time.Millisecond))
	if line, _, err := crilog.LastLine(ctx, t.Node, name); err == nil && line != "" {
		s += ": " + firstLine(line)
	}
	return s
}

// kubeletSource names the node's kubelet as the source of a pod's state.
func kubeletSource(t Target, name string) string {
	return fmt.Sprintf("kubelet on %s: pod %s-%s", t.Node.Name(), name, t.Node.Name())
}

// dependsOn is the static pod that a component needs for its exits to be
// its own: kube-apiserver exits when it cannot reach etcd in time, and
// kube-controller-manager and kube-scheduler when they cannot reach the
// API server. etcd needs nothing.
var dependsOn = map[string]string{
	apiServerPod:         etcdPod,
	controllerManagerPod: apiServerPod,
	schedulerPod:         apiServerPod,
}

// wontRestartReady says why a static pod's container cannot come up
// however long a check waits, from what the kubelet reports: name keeps
// exiting, and the things it needs did not change while it last ran.
// The pod it depends on (dependsOn) must have been ready from before that
// run started until now, since a crash while it was down may not recur;
// nor may its manifest or the files its flags name have changed since
// (see changedSince). It returns nil when the pod may still come up or the
// node does not say.
func wontRestartReady(ctx context.Context, t Target, name string) *wontRun {
	p, _ := podState(ctx, t, name)
	if !crashLooping(p) || changedSince(ctx, t, p) {
		return nil
	}
	need, ok := dependsOn[name]
	if ok {
		d, _ := podState(ctx, t, need)
		if d == nil || !d.Running || !d.Ready || d.ReadySince.IsZero() || d.ReadySince.After(p.LastStartedAt) {
			return nil
		}
	}
	what := exits(ctx, t, name, p)
	reason := fmt.Sprintf("%s %s; the kubelet restarts it after a back-off (CrashLoopBackOff) and it will exit the same way", name, what)
	if ok {
		reason += fmt.Sprintf(" (%s was ready throughout its last run)", need)
	}
	return &wontRun{
		Reason:   reason,
		Evidence: Evidence{Source: kubeletSource(t, name), Field: "container state", Want: "running", Got: labs.ReasonCrashLoopBackOff + ": " + what},
	}
}

// changedSince reports whether the pod's manifest, or a file its flags
// name (certificates, keys, directories), changed after its last run
// started, or cannot be looked at: its next start may then go otherwise
// (a learner who fixed a file waits out the back-off, as on a real node).
func changedSince(ctx context.Context, t Target, p *labs.StaticPodStatus) bool {
	pod, err := ReadManifest(ctx, t.Node, p.Manifest)
	if err != nil {
		return true
	}
	files := []string{p.Manifest}
	for _, c := range pod.Spec.Containers {
		for _, arg := range append(slices.Clone(c.Command), c.Args...) {
			if _, v, ok := strings.Cut(arg, "="); ok && path.IsAbs(v) {
				files = append(files, v)
			}
		}
	}
	for _, f := range files {
		info, err := t.Node.Stat(ctx, f)
		if err == nil && info.ModTime().After(p.LastStartedAt) {
			return true
		}
	}
	return false
}

// apiServerDown says why kubectl gets no answer right now, from what the
// kubelet reports: no kube-apiserver container runs, because it keeps
// exiting and the kubelet waits out a back-off before it starts it again.
// It returns nil when one may be running, or the node does not say.
func apiServerDown(ctx context.Context, t Target) *wontRun {
	p, _ := podState(ctx, t, apiServerPod)
	if !crashLooping(p) {
		return nil
	}
	what := exits(ctx, t, apiServerPod, p)
	return &wontRun{
		Reason:   fmt.Sprintf("kube-apiserver is not running: it %s, and the kubelet waits out a back-off before it starts it again (CrashLoopBackOff)", what),
		Evidence: Evidence{Source: kubeletSource(t, apiServerPod), Field: "container state", Want: "running", Got: labs.ReasonCrashLoopBackOff + ": " + what},
	}
}

// kubeletPickUp is how long a static pod may be missing from what the
// kubelet runs while its manifest is in place before a check stops waiting
// for it: a kubelet that is running and reads the manifest directory
// starts the pod within a second of reading it, and one restarted by
// `systemctl restart kubelet` reads it as it starts.
const kubeletPickUp = 10 * time.Second

// noStaticPod says that the node's kubelet reports its static pods and runs
// no pod called name (crictl pods shows none): the kubelet is stopped, or
// reads another directory than the one the manifest is in. It returns nil
// when the kubelet has such a pod, or the node does not say.
func noStaticPod(ctx context.Context, t Target, name string) *wontRun {
	p, reported := podState(ctx, t, name)
	if p != nil || !reported {
		return nil
	}
	pod := name + "-" + t.Node.Name()
	return &wontRun{
		Reason: fmt.Sprintf("the kubelet on %s runs no %s pod although its manifest is in place: is the kubelet running, and is that directory its staticPodPath? (systemctl status kubelet; journalctl -u kubelet)",
			t.Node.Name(), pod),
		Evidence: Evidence{Source: fmt.Sprintf("kubelet on %s: static pods", t.Node.Name()), Field: "pod " + pod, Want: "running", Got: "none"},
	}
}
