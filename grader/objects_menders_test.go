package grader

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/ckat/ckat/labs"
)

// kcmManifest is the manifest of kube-controller-manager on a test node.
const kcmManifest = "/etc/kubernetes/manifests/kube-controller-manager.yaml"

// crashing is the static pod name (kube-controller-manager,
// kube-scheduler) in CrashLoopBackOff, its last run started at started.
func crashing(name, manifest string, started time.Time) labs.StaticPodStatus {
	return labs.StaticPodStatus{Name: name + "-controlplane", Manifest: manifest,
		Restarts: 4, Reason: labs.ReasonCrashLoopBackOff, LastExitCode: 1, LastStartedAt: started, LastFinishedAt: started.Add(time.Second)}
}

// readyAPIServer is kube-apiserver running and ready since ready.
func readyAPIServer(ready time.Time) labs.StaticPodStatus {
	return labs.StaticPodStatus{Name: "kube-apiserver-controlplane", Manifest: DefaultAPIServerManifest, Running: true,
		StartedAt: ready.Add(-time.Second), Ready: true, ReadySince: ready}
}

// nodeWithPods is a node whose kubelet reports pods, with a manifest for
// kube-controller-manager and kube-scheduler (kubeconfig flags only).
func nodeWithPods(t *testing.T, pods ...labs.StaticPodStatus) podsNode {
	n := newPodsNode(t, pods...)
	for _, c := range []string{controllerManagerPod, schedulerPod} {
		n.writeNodeFile(t, "/etc/kubernetes/manifests/"+c+".yaml", []byte(`apiVersion: v1
kind: Pod
metadata: {name: `+c+`, namespace: kube-system}
spec:
  containers:
  - name: `+c+`
    image: registry.k8s.io/`+c+`:v1.37.2
    command: [`+c+`, --kubeconfig=/etc/kubernetes/missing.conf]
`))
	}
	return n
}

// taintedNode is the node seedTaintedNode makes; other tests' Pods name a
// node that does not exist, which keeps nothing from scheduling them.
const taintedNode = "tainted-controlplane"

// seedTaintedNode makes taintedNode with kubeadm's control-plane
// taint and the not-ready taint the node lifecycle controller sets, and
// Pods in objectsNS that do and do not tolerate the former.
func seedTaintedNode(t *testing.T, c kubernetes.Interface) {
	ctx := context.Background()
	_, err := c.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: taintedNode},
		Spec: corev1.NodeSpec{Taints: []corev1.Taint{
			{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule},
			{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoSchedule},
		}}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	tolerations := map[string][]corev1.Toleration{
		"untolerating": {{Key: "node-role.kubernetes.io/control-plane", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute}},
		"tolerating":   {{Key: "node-role.kubernetes.io/control-plane", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
	}
	for name, tols := range tolerations {
		_, err := c.CoreV1().Pods(objectsNS).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.PodSpec{Tolerations: tols, Containers: []corev1.Container{{Name: "c", Image: "nginx:1.27"}}}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
}

// TestObjectsCheckStopsWhenNothingMends: an objects check with a timeout
// stops looking at once when what lags is a controller's to mend and that
// controller cannot (its component keeps exiting while the API server is
// ready, or the Pod does not tolerate the node), and says why; it waits
// while the controller may still act.
func TestObjectsCheckStopsWhenNothingMends(t *testing.T) {
	srv := apiServerForTest(t)
	c := srv.client(t)
	seedObjects(t, c)
	seedControlled(t, c)
	seedTaintedNode(t, c)
	setDeploymentStatus(t, c, "api", 1)
	lastRun := since.Add(time.Minute)
	deployment := ObjectRef{Kind: "Deployment", Namespace: objectsNS, Name: "api", Replicas: replicas(3)}
	pod := func(name string) ObjectRef {
		return ObjectRef{Kind: "Pod", Namespace: objectsNS, Name: name, NodeName: taintedNode}
	}
	tests := []struct {
		name string
		ref  ObjectRef
		pods []labs.StaticPodStatus
		want string // in the message when it stops at once; "" when it waits to its timeout
	}{
		{"controller-manager keeps exiting", deployment,
			[]labs.StaticPodStatus{readyAPIServer(since), crashing(controllerManagerPod, kcmManifest, lastRun)},
			"UP-TO-DATE shows 1: the Deployment controller of kube-controller-manager has not acted on it; kube-controller-manager exited 4 times"},
		{"controller-manager exited while the API server was not ready", deployment,
			[]labs.StaticPodStatus{readyAPIServer(lastRun.Add(time.Second)), crashing(controllerManagerPod, kcmManifest, lastRun)}, ""},
		{"controller-manager not reported", deployment, []labs.StaticPodStatus{readyAPIServer(since)}, ""},
		{"Pod does not tolerate the node's taint", pod("untolerating"), []labs.StaticPodStatus{readyAPIServer(since)},
			"does not tolerate node " + taintedNode + "'s taint node-role.kubernetes.io/control-plane:NoSchedule, so kube-scheduler will not place it there"},
		{"Pod tolerates, scheduler keeps exiting", pod("tolerating"),
			[]labs.StaticPodStatus{readyAPIServer(since), crashing(schedulerPod, "/etc/kubernetes/manifests/kube-scheduler.yaml", lastRun)},
			"kube-scheduler exited 4 times"},
		{"Pod tolerates, scheduler may run", pod("tolerating"), []labs.StaticPodStatus{readyAPIServer(since)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := Target{RESTConfig: srv.config, Node: nodeWithPods(t, tt.pods...)}
			timeout := 3 * time.Second
			if tt.want != "" {
				timeout = time.Minute
			}
			began := time.Now()
			r := (&ObjectsCheck{Present: []ObjectRef{tt.ref}, Timeout: Duration{timeout}}).Run(context.Background(), target)
			took := time.Since(began)
			if r.Status != StatusFail {
				t.Fatalf("Run = %s %q, want fail", r.Status, r.Message)
			}
			switch {
			case tt.want != "" && (!strings.Contains(r.Message, tt.want) || took > 10*time.Second):
				t.Errorf("Run = %q after %s, want at once a message with %q", r.Message, took.Round(time.Millisecond), tt.want)
			case tt.want == "" && took < 2*time.Second:
				t.Errorf("Run = %q after %s, want it to look until its timeout: the controller may still act", r.Message, took.Round(time.Millisecond))
			}
		})
	}
}

// TestObjectsCheckNodeTaints: a Node's taints are compared as `kubectl
// describe node` shows them, in any order, without those the node
// lifecycle controller sets from conditions; a difference fails at once.
func TestObjectsCheckNodeTaints(t *testing.T) {
	srv := apiServerForTest(t)
	c := srv.client(t)
	seedTaintedNode(t, c)
	target := Target{RESTConfig: srv.config}
	node := func(taints []string) *ObjectsCheck {
		return &ObjectsCheck{Present: []ObjectRef{{Kind: "Node", Name: taintedNode, Taints: taints}}, Timeout: Duration{time.Minute}}
	}
	if r := node([]string{"node-role.kubernetes.io/control-plane:NoSchedule"}).Run(context.Background(), target); r.Status != StatusPass {
		t.Errorf("the node as kubeadm tainted it: %s %q, want pass", r.Status, r.Message)
	}
	began := time.Now()
	r := node([]string{}).Run(context.Background(), target)
	if r.Status != StatusFail || time.Since(began) > 10*time.Second ||
		!strings.Contains(r.Message, "node "+taintedNode+" differs: its taints are node-role.kubernetes.io/control-plane:NoSchedule, want <none>") {
		t.Errorf("a node that must have no taints: %s %q after %s, want a fail at once naming the taint", r.Status, r.Message, time.Since(began))
	}
	found := false
	for _, e := range r.Evidence {
		found = found || (e.Field == "spec.taints (kubectl describe node: Taints)" && e.Want == "<none>" && e.Got == "node-role.kubernetes.io/control-plane:NoSchedule")
	}
	if !found {
		t.Errorf("evidence %+v lacks the taints row", r.Evidence)
	}
}
