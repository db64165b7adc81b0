package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestControlPlaneAsKubeadms creates a lab and checks what a learner sees
// of kubeadm's control plane: the four mirror pods listed as soon as
// `ckat lab create` returns, the node's control-plane role and taint, and
// a Deployment that gets its ReplicaSet and Pods, which stay Pending as
// on a kubeadm cluster without workers until one tolerates the taint.
func TestControlPlaneAsKubeadms(t *testing.T) {
	c := newCkat(t)
	ctx := context.Background()
	c.must("lab", "create", "cp")
	client := c.client("cp")

	pods, err := client.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range pods.Items {
		names = append(names, p.Name)
	}
	slices.Sort(names)
	want := []string{"etcd-controlplane", "kube-apiserver-controlplane", "kube-controller-manager-controlplane", "kube-scheduler-controlplane"}
	if !slices.Equal(names, want) {
		t.Errorf("right after ckat lab create, kubectl get pods -n kube-system lists %v, want %v", names, want)
	}

	node, err := client.CoreV1().Nodes().Get(ctx, "controlplane", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := node.Labels["node-role.kubernetes.io/control-plane"]; !ok || v != "" {
		t.Errorf("node labels %v: want node-role.kubernetes.io/control-plane=\"\" (ROLES control-plane)", node.Labels)
	}
	// The API server gives a new Node the not-ready taint
	// (plugin/pkg/admission/nodetaint); kube-controller-manager's node
	// lifecycle controller takes it off once the node reports Ready
	// (pkg/controller/nodelifecycle), leaving kubeadm's taint.
	wantTaint := corev1.Taint{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule}
	var taints []corev1.Taint
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		if node, err = client.CoreV1().Nodes().Get(ctx, "controlplane", metav1.GetOptions{}); err == nil {
			taints = node.Spec.Taints
			if len(taints) == 1 && taints[0].MatchTaint(&wantTaint) {
				break
			}
		}
	}
	if len(taints) != 1 || !taints[0].MatchTaint(&wantTaint) {
		t.Errorf("node taints %v a minute after create, want only %v", taints, wantTaint)
	}

	labels := map[string]string{"app": "web"}
	two := int32(2)
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &two,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}},
			},
		},
	}
	if _, err := client.AppsV1().Deployments("default").Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, "deployment web's ReplicaSet has 2 replicas and 2 Pods", func() error {
		rss, err := client.AppsV1().ReplicaSets("default").List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil {
			return err
		}
		if len(rss.Items) != 1 || rss.Items[0].Status.Replicas != 2 {
			return fmt.Errorf("replicasets %d, status.replicas %v", len(rss.Items), replicas(rss.Items))
		}
		return nil
	})
	// The scheduler has seen the Pods: each is Unschedulable for the taint.
	eventually(t, time.Minute, "deployment web's Pods are Pending, unschedulable for the control-plane taint", func() error {
		pods, err := client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil {
			return err
		}
		if len(pods.Items) != 2 {
			return fmt.Errorf("%d pods", len(pods.Items))
		}
		for _, p := range pods.Items {
			if p.Status.Phase != corev1.PodPending || p.Spec.NodeName != "" {
				return fmt.Errorf("pod %s: phase %s, node %q", p.Name, p.Status.Phase, p.Spec.NodeName)
			}
			// kube-scheduler v1.37 says "1 node(s) had untolerated taint(s)".
			if msg := unschedulable(p); !strings.Contains(msg, "untolerated taint") {
				return fmt.Errorf("pod %s: PodScheduled condition says %q", p.Name, msg)
			}
		}
		return nil
	})

	tolerating := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "tolerant", Namespace: "default"},
		Spec: corev1.PodSpec{
			Containers:  []corev1.Container{{Name: "c", Image: "busybox"}},
			Tolerations: []corev1.Toleration{{Key: "node-role.kubernetes.io/control-plane", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
		},
	}
	if _, err := client.CoreV1().Pods("default").Create(ctx, tolerating, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, "a Pod tolerating the taint is scheduled to controlplane", func() error {
		p, err := client.CoreV1().Pods("default").Get(ctx, "tolerant", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if p.Spec.NodeName != "controlplane" {
			return fmt.Errorf("spec.nodeName %q", p.Spec.NodeName)
		}
		return nil
	})
}

func replicas(rss []appsv1.ReplicaSet) []int32 {
	var out []int32
	for _, rs := range rss {
		out = append(out, rs.Status.Replicas)
	}
	return out
}

// unschedulable is the message of a Pod's PodScheduled=False condition.
func unschedulable(p corev1.Pod) string {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			return c.Message
		}
	}
	return ""
}
