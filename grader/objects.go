package grader

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/ckat/ckat/grader/internal/etcddata"
	"github.com/ckat/ckat/internal/readyz"
)

// objectKinds are the kinds an ObjectRef may name, and whether they are
// namespaced.
var objectKinds = map[string]bool{"Namespace": false, "ConfigMap": true, "Secret": true, "Deployment": true}

// validateRefs adds what is wrong with a check's object references to p,
// sorted.
func validateRefs(p *fieldProblems, present, absent []ObjectRef) {
	start := len(p.errs)
	for list, refs := range map[string][]ObjectRef{"present": present, "absent": absent} {
		for i, ref := range refs {
			field := fmt.Sprintf("%s[%d]", list, i)
			namespaced, known := objectKinds[ref.Kind]
			switch {
			case !known:
				p.addf(field+".kind", "is %q; want Namespace, ConfigMap, Secret or Deployment", ref.Kind)
				continue
			case ref.Name == "":
				p.addf(field+".name", "is required")
			case namespaced && ref.Namespace == "":
				p.addf(field+".namespace", "is required for a %s", ref.Kind)
			case !namespaced && ref.Namespace != "":
				p.addf(field+".namespace", "must be empty for a Namespace")
			}
			if len(ref.Data) > 0 && ref.Kind != "ConfigMap" && ref.Kind != "Secret" {
				p.addf(field+".data", "is for a ConfigMap or Secret, not a %s", ref.Kind)
			}
			if ref.Image != "" && ref.Kind != "Deployment" {
				p.addf(field+".image", "is for a Deployment, not a %s", ref.Kind)
			}
		}
	}
	errs := p.errs[start:]
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
}

// String names the object as kubectl would: "configmap default/app-config".
func (r ObjectRef) String() string {
	if r.Namespace == "" {
		return strings.ToLower(r.Kind) + " " + r.Name
	}
	return fmt.Sprintf("%s %s/%s", strings.ToLower(r.Kind), r.Namespace, r.Name)
}

// Run GETs every object by name: a LIST could be answered from the API
// server's watch cache, stale after a restore. When the API server does not
// answer at all, or times out, it stops at the first object and says so
// once; when its /readyz says it cannot reach etcd it GETs nothing (each
// GET would wait a minute for etcd).
func (c *ObjectsCheck) Run(ctx context.Context, t Target) Result {
	client, err := clientset(t.RESTConfig)
	if err != nil {
		return Result{Status: StatusError, Message: "could not look: " + err.Error()}
	}
	if r, down := etcdUnreachable(ctx, client, t.RESTConfig.Host); down {
		return r
	}
	var ev []Evidence
	var wrong, errs []string
	unreachable := func(ref ObjectRef, err error) Result {
		return Result{Status: StatusError, Evidence: ev,
			Message: fmt.Sprintf("could not look: the API server at %s did not answer GET %s: %v", t.RESTConfig.Host, ref, readyz.ShortError(err))}
	}
	for _, ref := range c.Present {
		rows, problem, err := checkPresent(ctx, client, ref)
		ev = append(ev, rows...)
		switch {
		case err != nil && (!isAPIStatus(err) || isTimeout(err)):
			return unreachable(ref, err)
		case err != nil:
			errs = append(errs, fmt.Sprintf("%s: %v", ref, err))
		case problem != "":
			wrong = append(wrong, problem)
		}
	}
	for _, ref := range c.Absent {
		_, err := getObject(ctx, client, ref)
		row := Evidence{Source: "API server: GET " + ref.String(), Field: "exists", Want: "no"}
		switch {
		case isNotFound(err, ref):
			row.Got = "no (404 NotFound)"
		case err != nil:
			row.Got = "unknown: " + readyz.ShortError(err).Error()
			ev = append(ev, row)
			if !isAPIStatus(err) || isTimeout(err) {
				return unreachable(ref, err)
			}
			errs = append(errs, fmt.Sprintf("%s: %v", ref, err))
			continue
		default:
			row.Got = "yes"
			wrong = append(wrong, ref.String()+" exists, but it was made after the backup and must be gone")
		}
		ev = append(ev, row)
	}
	switch {
	case len(wrong) > 0:
		return Result{Status: StatusFail, Message: strings.Join(wrong, "; "), Evidence: ev}
	case len(errs) > 0:
		return Result{Status: StatusError, Message: "could not look: " + strings.Join(errs, "; "), Evidence: ev}
	}
	return Result{Status: StatusPass, Evidence: ev,
		Message: fmt.Sprintf("the API server serves the %d expected objects with their data and none of the %d that must be gone", len(c.Present), len(c.Absent))}
}

// etcdUnreachable asks /readyz whether the API server reaches etcd, and
// returns the "could not look" result when it answers that it does not.
// Any other answer, or none, lets the GETs go ahead and speak for
// themselves.
func etcdUnreachable(ctx context.Context, client kubernetes.Interface, host string) (Result, bool) {
	reqCtx, cancel := context.WithTimeout(ctx, readyzProbeTimeout)
	defer cancel()
	body, err := readyz.GetVerbose(reqCtx, client)
	if err == nil || !strings.Contains(string(body), "[-]etcd") {
		return Result{}, false
	}
	why := readyz.Summarize(body, err)
	return Result{Status: StatusError,
		Message:  fmt.Sprintf("could not look: the API server at %s answers but cannot reach etcd (%v), so it serves no objects", host, why),
		Evidence: []Evidence{{Source: "API server: GET " + host + "/readyz", Field: "status", Want: "ok", Got: why.Error()}}}, true
}

// readyzProbeTimeout bounds the one /readyz request ObjectsCheck makes.
const readyzProbeTimeout = 10 * time.Second

// isTimeout reports an API server that gave up waiting (504, or a
// timeout status): the next request would wait as long.
func isTimeout(err error) bool {
	return apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err)
}

// isAPIStatus reports an error the API server answered with (a 5xx, a
// 403), as opposed to no answer at all (refused, reset, timed out).
func isAPIStatus(err error) bool {
	var status apierrors.APIStatus
	return errors.As(err, &status)
}

// checkPresent GETs ref and compares its data; it returns the evidence, a
// problem when the object is wrong, or an error when it could not look.
func checkPresent(ctx context.Context, client kubernetes.Interface, ref ObjectRef) ([]Evidence, string, error) {
	source := "API server: GET " + ref.String()
	obj, err := getObject(ctx, client, ref)
	if isNotFound(err, ref) {
		return []Evidence{{Source: source, Field: "exists", Want: "yes", Got: "no (404 NotFound)"}},
			ref.String() + " is missing", nil
	}
	if err != nil {
		return []Evidence{{Source: source, Field: "exists", Want: "yes", Got: "unknown: " + readyz.ShortError(err).Error()}}, "", err
	}
	ev := []Evidence{{Source: source, Field: "exists", Want: "yes", Got: "yes"}}
	var diffs []string
	switch o := obj.(type) {
	case map[string]string:
		rows, d := compareData(source, ref, o)
		ev, diffs = append(ev, rows...), d
	case string:
		ev = append(ev, Evidence{Source: source, Field: "spec.template.spec.containers[0].image", Want: ref.Image, Got: o})
		if o != ref.Image {
			diffs = append(diffs, fmt.Sprintf("image is %q, want %q", o, ref.Image))
		}
	}
	if len(diffs) > 0 {
		return ev, fmt.Sprintf("%s differs: %s", ref, strings.Join(diffs, ", ")), nil
	}
	return ev, "", nil
}

// getObject GETs ref and returns what is compared: a ConfigMap's or
// Secret's data (Secret values as text), a Deployment's first image, or nil.
func getObject(ctx context.Context, client kubernetes.Interface, ref ObjectRef) (any, error) {
	get := metav1.GetOptions{}
	switch ref.Kind {
	case "Namespace":
		_, err := client.CoreV1().Namespaces().Get(ctx, ref.Name, get)
		return nil, err
	case "ConfigMap":
		cm, err := client.CoreV1().ConfigMaps(ref.Namespace).Get(ctx, ref.Name, get)
		if err != nil {
			return nil, err
		}
		data := map[string]string{}
		for k, v := range cm.Data {
			data[k] = v
		}
		for k, v := range cm.BinaryData {
			data[k] = string(v)
		}
		return data, nil
	case "Secret":
		s, err := client.CoreV1().Secrets(ref.Namespace).Get(ctx, ref.Name, get)
		if err != nil {
			return nil, err
		}
		data := map[string]string{}
		for k, v := range s.Data {
			data[k] = string(v)
		}
		return data, nil
	case "Deployment":
		d, err := client.AppsV1().Deployments(ref.Namespace).Get(ctx, ref.Name, get)
		if err != nil {
			return nil, err
		}
		if ref.Image == "" {
			return nil, nil
		}
		if cs := d.Spec.Template.Spec.Containers; len(cs) > 0 {
			return cs[0].Image, nil
		}
		return "(no containers)", nil
	}
	return nil, fmt.Errorf("unsupported kind %q", ref.Kind)
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

// isNotFound reports a real 404 for ref: the API server's own NotFound
// status naming the object ("configmaps \"x\" not found"), not a 404 from a
// path the server does not serve or from something else on the port.
func isNotFound(err error, ref ObjectRef) bool {
	var status apierrors.APIStatus
	if !apierrors.IsNotFound(err) || !errors.As(err, &status) {
		return false
	}
	return strings.HasSuffix(status.Status().Message, fmt.Sprintf("%q not found", ref.Name))
}

// clientset builds a client for cfg; a missing config is an error.
func clientset(cfg *rest.Config) (kubernetes.Interface, error) {
	if cfg == nil {
		return nil, errors.New("no REST config for the lab's API server")
	}
	c := rest.CopyConfig(cfg)
	if c.QPS == 0 {
		c.QPS, c.Burst = 50, 100
	}
	client, err := kubernetes.NewForConfig(c)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", cfg.Host, err)
	}
	return client, nil
}
