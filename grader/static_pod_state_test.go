package grader

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ckat/ckat/internal/crilog"
	"github.com/ckat/ckat/internal/kubeadm"
	"github.com/ckat/ckat/labs"
)

// podsNode is a hostDirNode whose kubelet reports pods.
type podsNode struct {
	hostDirNode
	pods []labs.StaticPodStatus
}

func (n podsNode) StaticPods(context.Context) ([]labs.StaticPodStatus, error) { return n.pods, nil }

// since is after the test writes its files: nothing changed since.
var since = time.Now().Add(time.Hour)

// readyEtcd is etcd running and ready since ready.
func readyEtcd(ready time.Time) labs.StaticPodStatus {
	return labs.StaticPodStatus{Name: "etcd-controlplane", Manifest: kubeadm.EtcdManifest, Running: true,
		StartedAt: ready.Add(-time.Second), Ready: true, ReadySince: ready}
}

// crashingAPIServer is kube-apiserver in CrashLoopBackOff whose last run
// started at started.
func crashingAPIServer(started time.Time) labs.StaticPodStatus {
	return labs.StaticPodStatus{Name: "kube-apiserver-controlplane", Manifest: DefaultAPIServerManifest,
		Restarts: 3, Reason: labs.ReasonCrashLoopBackOff, Message: "back-off 20s restarting failed container",
		LastExitCode: 1, LastStartedAt: started, LastFinishedAt: started.Add(2 * time.Second)}
}

// newPodsNode is a node with kubeadm's manifests, kube-apiserver's last
// log line, and pods.
func newPodsNode(t *testing.T, pods ...labs.StaticPodStatus) podsNode {
	n := podsNode{hostDirNode: newHostDirNode(t), pods: pods}
	for path, file := range controlPlaneManifests {
		n.writeNodeFile(t, path, readTestdata(t, "../../internal/staticpod/testdata/"+file))
	}
	n.writeNodeFile(t, crilog.PodLogsDir+"/kube-system_kube-apiserver-controlplane_uid1/kube-apiserver/3.log",
		[]byte("t stderr F I1203 starting\nt stderr F E1203 run.go:72] \"command failed\" err=\"error creating storage factory: tls: private key does not match public key\"\n"))
	return n
}

func TestWontRestartReady(t *testing.T) {
	lastRun := since.Add(time.Minute)
	tests := []struct {
		name string
		pods []labs.StaticPodStatus
		pod  string
		want string // in the reason; "" for nil
	}{
		{"API server keeps exiting while etcd is ready", []labs.StaticPodStatus{readyEtcd(since), crashingAPIServer(lastRun)}, apiServerPod,
			`kube-apiserver exited 3 times, the last time with code 1 after 2s: E1203 run.go:72] "command failed" err="error creating storage factory: tls: private key does not match public key"; ` +
				"the kubelet restarts it after a back-off (CrashLoopBackOff) and it will exit the same way (etcd was ready throughout its last run)"},
		// It may have exited for want of etcd, which is ready now: its
		// next start may well succeed.
		{"API server exited before etcd was ready", []labs.StaticPodStatus{readyEtcd(lastRun.Add(time.Second)), crashingAPIServer(lastRun)}, apiServerPod, ""},
		{"API server keeps exiting, etcd not ready", []labs.StaticPodStatus{{Name: "etcd-controlplane", Running: true}, crashingAPIServer(lastRun)}, apiServerPod, ""},
		{"API server keeps exiting, no etcd reported", []labs.StaticPodStatus{crashingAPIServer(lastRun)}, apiServerPod, ""},
		{"API server running", []labs.StaticPodStatus{readyEtcd(since), {Name: "kube-apiserver-controlplane", Running: true, Restarts: 3}}, apiServerPod, ""},
		{"API server exited once, restarting now", []labs.StaticPodStatus{readyEtcd(since), {Name: "kube-apiserver-controlplane", Restarts: 1, LastStartedAt: lastRun}}, apiServerPod, ""},
		{"etcd keeps exiting", []labs.StaticPodStatus{{Name: "etcd-controlplane", Manifest: kubeadm.EtcdManifest, Restarts: 2, Reason: labs.ReasonCrashLoopBackOff, LastExitCode: 2,
			LastStartedAt: lastRun, LastFinishedAt: lastRun.Add(500 * time.Millisecond)}}, etcdPod,
			"etcd exited 2 times, the last time with code 2 after 500ms; the kubelet restarts it after a back-off (CrashLoopBackOff) and it will exit the same way"},
		// A second file for etcd that does not run does not hide the one
		// that does.
		{"etcd running beside a duplicate", []labs.StaticPodStatus{readyEtcd(since), {Name: "etcd-controlplane", Reason: "DuplicatePodName"}}, etcdPod, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := wontRestartReady(context.Background(), Target{Node: newPodsNode(t, tt.pods...)}, tt.pod)
			switch {
			case tt.want == "" && w != nil:
				t.Fatalf("wontRestartReady = %q, want nil: the pod may still come up", w.Reason)
			case tt.want != "" && w == nil:
				t.Fatalf("wontRestartReady = nil, want %q", tt.want)
			case tt.want != "" && w.Reason != tt.want:
				t.Fatalf("reason\n %q\nwant\n %q", w.Reason, tt.want)
			case w != nil && (w.Evidence.Source != "kubelet on controlplane: pod "+tt.pod+"-controlplane" || !strings.HasPrefix(w.Evidence.Got, "CrashLoopBackOff: ")):
				t.Errorf("evidence = %+v, want the kubelet's CrashLoopBackOff", w.Evidence)
			}
		})
	}
	// A certificate fixed after the last run: the next start may succeed.
	fixed := newPodsNode(t, readyEtcd(since), crashingAPIServer(time.Now().Add(-time.Hour)))
	fixed.writeNodeFile(t, "/etc/kubernetes/pki/apiserver-etcd-client.crt", []byte("fixed"))
	if w := wontRestartReady(context.Background(), Target{Node: fixed}, apiServerPod); w != nil {
		t.Errorf("wontRestartReady after a file its flags name changed = %q, want nil", w.Reason)
	}
	// A node that does not report its pods: the checks poll as before.
	if w := wontRestartReady(context.Background(), Target{Node: newHostDirNode(t)}, apiServerPod); w != nil {
		t.Errorf("wontRestartReady on a node without pod status = %q, want nil", w.Reason)
	}
}

// TestAPIServerReadyCheckCrashLoop: kube-apiserver keeps exiting while
// etcd is ready; the check says so at once, with the exits and the log's
// last line, instead of polling to its timeout.
func TestAPIServerReadyCheckCrashLoop(t *testing.T) {
	node := newPodsNode(t, readyEtcd(since), crashingAPIServer(since.Add(time.Minute)))
	timeout := 20 * time.Second
	start := time.Now()
	r := (&APIServerReadyCheck{Timeout: Duration{timeout}}).Run(context.Background(), Target{RESTConfig: refusedConfig(t), Node: node})
	if took := time.Since(start); took >= 5*time.Second {
		t.Errorf("failed after %s: want at once", took)
	}
	want := "and will not be: kube-apiserver exited 3 times, the last time with code 1 after 2s: "
	if r.Status != StatusFail || !strings.Contains(r.Message, want) || !strings.Contains(r.Message, "tls: private key does not match public key") {
		t.Fatalf("Run = %s %q, want a fail containing %q and the log's last line", r.Status, r.Message, want)
	}
	if len(r.Evidence) != 2 || r.Evidence[0].Field != "container state" || r.Evidence[1].Want != "ok" {
		t.Errorf("evidence = %+v, want the kubelet's row then the /readyz answer", r.Evidence)
	}
}

// TestObjectsCheckAPIServerCrashLoop: with kube-apiserver in
// CrashLoopBackOff the objects check asks nothing: kubectl get is refused.
func TestObjectsCheckAPIServerCrashLoop(t *testing.T) {
	node := newPodsNode(t, readyEtcd(since), crashingAPIServer(since.Add(time.Minute)))
	check := &ObjectsCheck{Present: []ObjectRef{{Kind: "ConfigMap", Namespace: "shop", Name: "settings"}}}
	start := time.Now()
	r := check.Run(context.Background(), Target{RESTConfig: refusedConfig(t), Node: node})
	if took := time.Since(start); took >= 2*time.Second {
		t.Errorf("failed after %s: want at once", took)
	}
	want := "does not answer, so kubectl get shows no objects: kube-apiserver is not running: it exited 3 times"
	if r.Status != StatusFail || !strings.Contains(r.Message, want) {
		t.Fatalf("Run = %s %q, want a fail containing %q", r.Status, r.Message, want)
	}
}

// TestAPIServerReadyCheckNoPod: the manifests are in place but the kubelet
// runs no static pod at all (stopped, or reading another directory): the
// check stops waiting once the pod has been missing for kubeletPickUp,
// before its timeout, and names the kubelet as the cause.
func TestAPIServerReadyCheckNoPod(t *testing.T) {
	node := newPodsNode(t)
	timeout := time.Minute
	start := time.Now()
	r := (&APIServerReadyCheck{Timeout: Duration{timeout}}).Run(context.Background(), Target{RESTConfig: refusedConfig(t), Node: node})
	if took := time.Since(start); took < kubeletPickUp || took >= timeout {
		t.Errorf("failed after %s: want after the kubelet's %s to pick the manifest up, before the %s timeout", took, kubeletPickUp, timeout)
	}
	want := "and nothing runs it: the kubelet on controlplane runs no kube-apiserver-controlplane pod although its manifest is in place"
	if r.Status != StatusFail || !strings.Contains(r.Message, want) {
		t.Fatalf("Run = %s %q, want a fail containing %q", r.Status, r.Message, want)
	}
	if len(r.Evidence) != 2 || r.Evidence[0].Field != "pod kube-apiserver-controlplane" || r.Evidence[0].Got != "none" {
		t.Errorf("evidence = %+v, want the kubelet's row then the /readyz answer", r.Evidence)
	}
}
