package grader

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/ckat/ckat/grader/internal/etcddata"
)

// objectVerdict is what one view of an object shows against what the check
// wants.
type objectVerdict struct {
	// rows are the evidence, without a source yet.
	rows []Evidence
	// problem is what is wrong, or "".
	problem string
	// settled reports a problem no controller will mend: only what the
	// learner sets differs (a spec, data, a node's taints), not what a
	// controller fills in nor whether an object exists.
	settled bool
	// mender is the control-plane component whose controller fills in
	// what lags (kube-controller-manager for a Deployment's UP-TO-DATE,
	// kube-scheduler for a Pod's node), when that is all that is wrong.
	mender string
}

// judge compares one view of ref (obj, nil when absent) with what the
// check wants.
func judge(ref ObjectRef, present bool, obj *etcddata.Object) objectVerdict {
	exists := Evidence{Field: "exists", Want: yesNo(present), Got: yesNo(obj != nil)}
	switch {
	case !present && obj != nil:
		return objectVerdict{rows: []Evidence{exists}, problem: ref.String() + " exists, but it was made after the backup and must be gone"}
	case !present:
		return objectVerdict{rows: []Evidence{exists}}
	case obj == nil:
		return objectVerdict{rows: []Evidence{exists}, problem: ref.String() + " is missing"}
	}
	rows := []Evidence{exists}
	var diffs []string
	mender := ""
	if ref.Port != 0 {
		rows = append(rows, Evidence{Field: "spec.ports[*].port", Want: fmt.Sprint(ref.Port), Got: showPorts(obj.Ports)})
		if !slices.Contains(obj.Ports, int64(ref.Port)) {
			diffs = append(diffs, fmt.Sprintf("no port %d (ports: %s)", ref.Port, showPorts(obj.Ports)))
		}
	}
	if ref.Image != "" {
		rows = append(rows, Evidence{Field: "spec.template.spec.containers[0].image", Want: ref.Image, Got: obj.Image})
		if obj.Image != ref.Image {
			diffs = append(diffs, fmt.Sprintf("image is %q, want %q", obj.Image, ref.Image))
		}
	}
	if ref.Replicas != nil {
		want := int64(*ref.Replicas)
		rows = append(rows,
			Evidence{Field: "spec.replicas (READY's total)", Want: fmt.Sprint(want), Got: fmt.Sprint(obj.Replicas)},
			Evidence{Field: "status.updatedReplicas (UP-TO-DATE)", Want: fmt.Sprint(want), Got: fmt.Sprint(obj.UpdatedReplicas)})
		switch {
		case obj.Replicas != want:
			diffs = append(diffs, fmt.Sprintf("spec.replicas is %d, want %d", obj.Replicas, want))
		case obj.UpdatedReplicas != want:
			mender = controllerManagerPod
			diffs = append(diffs, fmt.Sprintf("spec.replicas is %d but UP-TO-DATE shows %d: the Deployment controller of kube-controller-manager has not acted on it", want, obj.UpdatedReplicas))
		}
	}
	if ref.NodeName != "" {
		rows = append(rows, Evidence{Field: "spec.nodeName (NODE)", Want: ref.NodeName, Got: orNone(obj.NodeName)})
		switch {
		case obj.NodeName == "":
			mender = schedulerPod
			diffs = append(diffs, fmt.Sprintf("it is not scheduled (NODE <none>), want node %s", ref.NodeName))
		case obj.NodeName != ref.NodeName:
			diffs = append(diffs, fmt.Sprintf("it is on node %s, want %s", obj.NodeName, ref.NodeName))
		}
	}
	if ref.Taints != nil {
		want, got := sortedTaints(ref.Taints), learnerTaints(obj.Taints)
		rows = append(rows, Evidence{Field: "spec.taints (kubectl describe node: Taints)", Want: showTaints(want), Got: showTaints(got)})
		if !slices.Equal(want, got) {
			diffs = append(diffs, fmt.Sprintf("its taints are %s, want %s", showTaints(got), showTaints(want)))
		}
	}
	dataRows, d := compareData("", ref, obj.Data)
	rows, diffs = append(rows, dataRows...), append(diffs, d...)
	if len(diffs) > 0 {
		return objectVerdict{rows: rows, problem: fmt.Sprintf("%s differs: %s", ref, strings.Join(diffs, ", ")), settled: mender == "", mender: mender}
	}
	return objectVerdict{rows: rows}
}

// rowsAgree reports two views that show the same.
func rowsAgree(a, b []Evidence) bool {
	return slices.Equal(a, b)
}

// sourced sets the rows' source, and says why an object does not exist.
func sourced(source string, rows []Evidence, why string) []Evidence {
	out := make([]Evidence, len(rows))
	for i, r := range rows {
		r.Source = source
		if r.Field == "exists" && r.Got == "no" {
			r.Got = "no (" + why + ")"
		}
		out[i] = r
	}
	return out
}

// orNone shows an empty value as kubectl shows it: "<none>".
func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// showPorts lists a Service's ports: "80, 443", or "(none)".
func showPorts(ports []int64) string {
	if len(ports) == 0 {
		return "(none)"
	}
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = fmt.Sprint(p)
	}
	return strings.Join(s, ", ")
}

// compareData compares every key of ref.Data and reports keys the object
// has beyond them. Secret values are masked in the evidence.
func compareData(source string, ref ObjectRef, got map[string]string) ([]Evidence, []string) {
	if len(ref.Data) == 0 {
		return nil, nil
	}
	show := func(v string) string { return fmt.Sprintf("%q", v) }
	if ref.Kind == "Secret" {
		show = maskSecretValue
	}
	var ev []Evidence
	var diffs []string
	for _, k := range etcddata.SortedKeys(ref.Data) {
		want := ref.Data[k]
		v, ok := got[k]
		row := Evidence{Source: source, Field: "data." + k, Want: show(want), Got: "(missing)"}
		if ok {
			row.Got = show(v)
		}
		ev = append(ev, row)
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("no data.%s", k))
		case v != want:
			diffs = append(diffs, fmt.Sprintf("data.%s = %s, want %s", k, show(v), show(want)))
		}
	}
	for _, k := range etcddata.SortedKeys(got) {
		if _, ok := ref.Data[k]; !ok {
			ev = append(ev, Evidence{Source: source, Field: "data." + k, Want: "(absent)", Got: show(got[k])})
			diffs = append(diffs, fmt.Sprintf("extra key data.%s", k))
		}
	}
	return ev, diffs
}

// maskSecretValue shows a secret value by length and a short hash, so a learner
// can compare values without the report printing them.
func maskSecretValue(v string) string {
	sum := sha256.Sum256([]byte(v))
	return fmt.Sprintf("(secret, %d bytes, sha256 %s…)", len(v), hex.EncodeToString(sum[:])[:8])
}
