package grader

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// conditionTaints are the taints the node lifecycle controller of
// kube-controller-manager sets and removes as the node's conditions
// change (k8s.io/api core/v1 well_known_taints.go; k8s.io/kubernetes v1.37
// pkg/controller/nodelifecycle: nodeConditionToTaintKeyStatusMap). They
// are not the learner's doing, so a check neither compares them nor lets
// them keep a Pod off a node.
var conditionTaints = []string{
	corev1.TaintNodeNotReady, corev1.TaintNodeUnreachable, corev1.TaintNodeMemoryPressure,
	corev1.TaintNodeDiskPressure, corev1.TaintNodeNetworkUnavailable, corev1.TaintNodePIDPressure,
}

// conditionTaint reports a taint key of conditionTaints.
func conditionTaint(key string) bool {
	return slices.Contains(conditionTaints, key)
}

// learnerTaints spells a node's taints as `kubectl taint` does
// (KEY[=VALUE]:EFFECT), sorted, without the condition taints.
func learnerTaints(taints []corev1.Taint) []string {
	out := []string{}
	for _, t := range taints {
		if !conditionTaint(t.Key) {
			out = append(out, t.ToString())
		}
	}
	slices.Sort(out)
	return out
}

// sortedTaints is a sorted copy of a check's taints.
func sortedTaints(taints []string) []string {
	out := append([]string{}, taints...)
	slices.Sort(out)
	return out
}

// showTaints lists taints as `kubectl describe node` does, or "<none>".
func showTaints(taints []string) string {
	if len(taints) == 0 {
		return "<none>"
	}
	return strings.Join(taints, ", ")
}

// showList joins items with commas, or says "(none)".
func showList(items []string) string {
	if len(items) == 0 {
		return "(none)"
	}
	return strings.Join(items, ", ")
}

// validateTaint checks a taint spelled KEY[=VALUE]:EFFECT, as `kubectl
// taint` takes it.
func validateTaint(s string) error {
	kv, effect, ok := strings.Cut(s, ":")
	if !ok || kv == "" || strings.HasPrefix(kv, "=") {
		return fmt.Errorf("taint %q is not KEY[=VALUE]:EFFECT", s)
	}
	switch corev1.TaintEffect(effect) {
	case corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
		return nil
	}
	return fmt.Errorf("taint %q: effect %q is not NoSchedule, PreferNoSchedule or NoExecute", s, effect)
}
