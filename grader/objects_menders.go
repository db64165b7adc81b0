package grader

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	v1helper "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/klog/v2"

	"github.com/ckat/ckat/grader/internal/etcddata"
)

// Control-plane static pods whose controllers fill in what an objects
// check may compare, by their names in kubeadm's manifests.
const (
	controllerManagerPod = "kube-controller-manager"
	schedulerPod         = "kube-scheduler"
)

// lag is a failing object that a controller, or time, may still put
// right.
type lag struct {
	ref ObjectRef
	obj *etcddata.Object
	// mender is the component whose controller would put it right (see
	// objectVerdict), or "" when none is known: an object that may yet appear
	// or go.
	mender string
}

// wontMend reports whether no amount of waiting puts the lagging objects
// right, and why, one reason per cause. Each needs a mender that cannot
// act: its static pod keeps exiting and nothing it needs changed
// (wontRestartReady), or, for a Pod that waits for a node, the Pod does
// not tolerate a taint of that node, so kube-scheduler will never place it
// there. With nothing lagging, only what the learner sets is wrong, and
// that is settled too.
func (l *looker) wontMend(ctx context.Context, t Target, lagging []lag) (stuck bool, reasons []string, ev []Evidence) {
	seen := map[string]bool{}
	add := func(reason string, e Evidence) {
		if !seen[reason] {
			seen[reason] = true
			reasons, ev = append(reasons, reason), append(ev, e)
		}
	}
	for _, g := range lagging {
		if g.mender == "" {
			return false, nil, nil
		}
		blocked := false
		if g.mender == schedulerPod {
			if reason, e := l.untolerated(ctx, g); reason != "" {
				add(reason, e)
				blocked = true
			}
		}
		if w := wontRestartReady(ctx, t, g.mender); w != nil {
			add(w.Reason, w.Evidence)
			blocked = true
		}
		if !blocked {
			return false, nil, nil
		}
	}
	return true, reasons, ev
}

// untolerated says why kube-scheduler will not place the Pod of g on the
// node it must go to: a taint of the node with effect NoSchedule or
// NoExecute that none of the Pod's tolerations matches. This is the
// scheduler's own rule (k8s.io/kubernetes v1.37 pkg/scheduler/framework/
// plugins/tainttoleration TaintToleration.Filter calls
// v1helper.FindMatchingUntoleratedTaint with DoNotScheduleTaintsFilterFunc).
// The scheduler heeds every such taint; the ones the node lifecycle
// controller sets from the node's conditions (not-ready, unreachable) are
// left out here only because they go by themselves when the node
// recovers, so waiting may still help. It returns "" when the Pod tolerates the node, or the node cannot
// be read.
func (l *looker) untolerated(ctx context.Context, g lag) (string, Evidence) {
	nodeRef := ObjectRef{Kind: "Node", Name: g.ref.NodeName}
	m, err := l.mapping(nodeRef)
	if err != nil {
		return "", Evidence{}
	}
	node, err := l.get(ctx, m, nodeRef)
	if err != nil || node == nil {
		return "", Evidence{}
	}
	doNotSchedule := func(t *corev1.Taint) bool {
		return !conditionTaint(t.Key) && (t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute)
	}
	// Comparison operators (Gt, Lt) in tolerations are behind the
	// TaintTolerationComparisonOperators feature gate, alpha and off in
	// v1.37 (pkg/features/kube_features.go).
	taint, found := v1helper.FindMatchingUntoleratedTaint(klog.Background(), node.Taints, g.obj.Tolerations, doNotSchedule, false)
	if !found {
		return "", Evidence{}
	}
	return fmt.Sprintf("%s does not tolerate node %s's taint %s, so kube-scheduler will not place it there", g.ref, g.ref.NodeName, taint.ToString()),
		Evidence{Source: "API server: GET " + g.ref.String(), Field: "spec.tolerations", Want: "tolerates " + taint.ToString(), Got: showTolerations(g.obj.Tolerations)}
}

// showTolerations lists tolerations as KEY[=VALUE]:EFFECT, or "(none)".
func showTolerations(tols []corev1.Toleration) string {
	out := make([]string, 0, len(tols))
	for _, t := range tols {
		s := t.Key
		switch {
		case t.Operator == corev1.TolerationOpExists && s == "":
			s = "(every key)"
		case t.Operator == corev1.TolerationOpExists:
		case t.Value != "":
			s += "=" + t.Value
		}
		if t.Effect != "" {
			s += ":" + string(t.Effect)
		}
		out = append(out, s)
	}
	return showList(out)
}
