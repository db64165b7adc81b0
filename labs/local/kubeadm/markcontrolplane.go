package kubeadm

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	layout "github.com/ckat/ckat/internal/kubeadm"
)

// ControlPlaneTaint is the taint kubeadm init puts on a control-plane node
// (constants.ControlPlaneTaint): Pods without its toleration are not
// scheduled there.
func ControlPlaneTaint() corev1.Taint {
	return corev1.Taint{Key: layout.LabelNodeRoleControlPlane, Effect: corev1.TaintEffectNoSchedule}
}

// nodePollInterval is the pause between two looks for the Node.
const nodePollInterval = 100 * time.Millisecond

// MarkControlPlane does kubeadm init's mark-control-plane phase
// (phases/markcontrolplane/markcontrolplane.go, MarkControlPlane): once the
// node has registered its Node, it adds the labels
// node-role.kubernetes.io/control-plane and
// node.kubernetes.io/exclude-from-external-load-balancers (empty values)
// and the taint node-role.kubernetes.io/control-plane:NoSchedule, keeping
// the node's other taints. kubeadm's PatchNode waits for the Node as this
// does, until ctx ends.
func MarkControlPlane(ctx context.Context, client kubernetes.Interface, nodeName string) error {
	nodes := client.CoreV1().Nodes()
	err := wait.PollUntilContextCancel(ctx, nodePollInterval, true, func(ctx context.Context) (bool, error) {
		_, err := nodes.Get(ctx, nodeName, metav1.GetOptions{})
		return err == nil, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for node %s to register: %w", nodeName, err)
	}
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		n, err := nodes.Get(ctx, nodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		markControlPlaneNode(n)
		_, err = nodes.Update(ctx, n, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("marking node %s as control-plane: %w", nodeName, err)
	}
	return nil
}

// markControlPlaneNode is kubeadm's markControlPlaneNode with its default
// taints.
func markControlPlaneNode(n *corev1.Node) {
	if n.Labels == nil {
		n.Labels = map[string]string{}
	}
	for _, l := range []string{layout.LabelNodeRoleControlPlane, layout.LabelExcludeFromExternalLB} {
		n.Labels[l] = ""
	}
	taints := []corev1.Taint{ControlPlaneTaint()}
	for _, t := range n.Spec.Taints {
		if !slices.ContainsFunc(taints, func(o corev1.Taint) bool { return o.MatchTaint(&t) }) {
			taints = append(taints, t)
		}
	}
	n.Spec.Taints = taints
}
