package grader

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"

	"github.com/ckat/ckat/grader/internal/etcddata"
	"github.com/ckat/ckat/internal/readyz"
)

// Run looks at every object the two ways a learner's kubectl does, and
// needs both to agree:
//
//   - a LIST of its kind in its namespace, as `kubectl get KIND -n NS`
//     sends it: paged, without resourceVersion. The API server answers it
//     from its watch cache once the cache has caught up with etcd's
//     current revision (k8s.io/apiserver v0.37 pkg/storage/cacher:
//     CacheDelegator.GetList in delegator.go takes the consistent-read
//     path, ShouldDelegateConsistentRead; watchCache.waitUntilFreshLocked
//     in watch_cache.go returns at once when etcd's revision is not above
//     the cache's). Informers and controllers read the same cache.
//   - a GET by name, which the API server serves from etcd when no
//     resourceVersion is given (CacheDelegator.Get).
//
// After etcd is restored under a running API server, etcd's revision went
// back: the cache is never waited for and keeps the objects from before
// the restore, while a GET reads the restored etcd. The views then
// disagree and the check fails, naming the cause and the fix. When they
// agree, what they show is judged.
//
// When the API server does not answer at all, or times out, it stops at
// the first request and says so once; when its /readyz says it cannot
// reach etcd it looks no further (each GET would wait a minute for etcd).
// When the node's kubelet reports that kube-apiserver is not running
// because it keeps exiting, it asks nothing: kubectl get is refused now.
func (c *ObjectsCheck) Run(ctx context.Context, t Target) Result {
	client, err := clientset(t.RESTConfig)
	if err != nil {
		return Result{Status: StatusError, Message: "could not look: " + err.Error()}
	}
	if w := apiServerDown(ctx, t); w != nil {
		return Result{Status: StatusFail, Evidence: []Evidence{w.Evidence},
			Message: fmt.Sprintf("the API server at %s does not answer, so kubectl get shows no objects: %s", t.RESTConfig.Host, w.Reason)}
	}
	if r, down := notServing(ctx, client, t.RESTConfig.Host); down {
		return r
	}
	cfg, _ := clientConfig(t.RESTConfig)
	lk, err := newLooker(cfg)
	if err != nil {
		return Result{Status: StatusError, Message: "could not look: " + err.Error()}
	}
	var ev []Evidence
	// wrong: the objects are not as the task wants; refused: the API
	// server answered with an error, as the learner's kubectl get would
	// show it; errs: the check itself cannot ask (a kind not served).
	var wrong, stale, refused, errs []string
	refs := make([]wantRef, 0, len(c.Present)+len(c.Absent))
	for _, r := range c.Present {
		refs = append(refs, wantRef{r, true})
	}
	for _, r := range c.Absent {
		refs = append(refs, wantRef{r, false})
	}
	for _, w := range refs {
		ref := w.ref
		m, err := lk.mapping(ref)
		var ns *notServedError
		switch {
		case errors.As(err, &ns):
			errs = append(errs, fmt.Sprintf("%s: %v", ref, err))
			continue
		case err != nil:
			ev = append(ev, Evidence{Source: "API server: discovery", Field: ref.APIVersion + " " + ref.Kind, Want: "served", Got: "unknown: " + readyz.ShortError(err).Error()})
			return unreachableResult(t, ev, "discovery for "+ref.String(), err)
		}
		getObj, getErr := lk.get(ctx, m, ref)
		var listObj *etcddata.Object
		var listErr error
		if getErr == nil {
			listObj, listErr = lk.list(ctx, m, ref)
		}
		for _, f := range []struct {
			source string
			err    error
		}{{"GET " + ref.String(), getErr}, {listSource(m, ref), listErr}} {
			if f.err == nil {
				continue
			}
			ev = append(ev, Evidence{Source: "API server: " + f.source, Field: "exists", Want: yesNo(w.present), Got: "unknown: " + readyz.ShortError(f.err).Error()})
			if !isAPIStatus(f.err) || isTimeout(f.err) {
				return unreachableResult(t, ev, f.source, f.err)
			}
			refused = append(refused, fmt.Sprintf("%s: %v", ref, readyz.ShortError(f.err)))
		}
		if getErr != nil || listErr != nil {
			continue
		}
		listRows, problem := judge(ref, w.present, listObj)
		getRows, _ := judge(ref, w.present, getObj)
		if rowsAgree(listRows, getRows) {
			ev = append(ev, sourced("API server: LIST and GET "+ref.String(), listRows, "not listed, 404 NotFound")...)
			if problem != "" {
				wrong = append(wrong, problem)
			}
			continue
		}
		ev = append(ev, sourced("API server: "+listSource(m, ref)+" (kubectl get)", listRows, "not listed")...)
		ev = append(ev, sourced("API server: GET "+ref.String(), getRows, "404 NotFound")...)
		stale = append(stale, ref.String()+": "+disagreement(listObj, getObj))
	}
	switch {
	case len(stale) > 0:
		msg := staleCacheMessage(stale)
		if len(wrong) > 0 {
			msg += "; besides, " + strings.Join(wrong, "; ")
		}
		return Result{Status: StatusFail, Message: msg, Evidence: ev}
	case len(wrong) > 0:
		return Result{Status: StatusFail, Message: strings.Join(wrong, "; "), Evidence: ev}
	case len(refused) > 0:
		return Result{Status: StatusFail, Evidence: ev,
			Message: "the API server answers with an error where kubectl get would show the objects: " + strings.Join(refused, "; ")}
	case len(errs) > 0:
		return Result{Status: StatusError, Message: "could not look: " + strings.Join(errs, "; "), Evidence: ev}
	}
	return Result{Status: StatusPass, Evidence: ev,
		Message: fmt.Sprintf("kubectl get (LIST) and GET by name both show the %d expected objects with their data and none of the %d that must be gone", len(c.Present), len(c.Absent))}
}

// wantRef is an object and whether it must exist.
type wantRef struct {
	ref     ObjectRef
	present bool
}

// unreachableResult is the result for a request the API server did not
// answer. It is a fail, not "could not look": the learner's kubectl gets
// no answer either, so the cluster does not serve the objects the task
// asks for (api-server-ready says why).
func unreachableResult(t Target, ev []Evidence, what string, err error) Result {
	return Result{Status: StatusFail, Evidence: ev,
		Message: fmt.Sprintf("the API server at %s did not answer %s (%v), so kubectl get shows no objects", t.RESTConfig.Host, what, readyz.ShortError(err))}
}

// staleCacheMessage says that the two views disagree, why, and the fix.
func staleCacheMessage(stale []string) string {
	return fmt.Sprintf("kubectl get (a LIST, answered from the API server's cache) and a GET by name (read from etcd) disagree: %s. "+
		"The API server started before etcd was restored, so its cache is older than etcd: restart kube-apiserver by moving %s out of %s and back",
		strings.Join(stale, "; "), path.Base(DefaultAPIServerManifest), path.Dir(DefaultAPIServerManifest))
}

// disagreement says how the LIST and the GET differ.
func disagreement(listed, got *etcddata.Object) string {
	switch {
	case listed == nil:
		return "kubectl get does not list it, a GET by name finds it"
	case got == nil:
		return "kubectl get lists it, a GET by name finds none (404 NotFound)"
	}
	return "kubectl get and a GET by name show different contents"
}

// judge compares one view of ref (obj, nil when absent) with what the
// check wants. Its evidence rows have no source yet; problem is what is
// wrong, or "".
func judge(ref ObjectRef, present bool, obj *etcddata.Object) (rows []Evidence, problem string) {
	exists := Evidence{Field: "exists", Want: yesNo(present), Got: yesNo(obj != nil)}
	switch {
	case !present && obj != nil:
		return []Evidence{exists}, ref.String() + " exists, but it was made after the backup and must be gone"
	case !present:
		return []Evidence{exists}, ""
	case obj == nil:
		return []Evidence{exists}, ref.String() + " is missing"
	}
	rows = []Evidence{exists}
	var diffs []string
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
	dataRows, d := compareData("", ref, obj.Data)
	rows, diffs = append(rows, dataRows...), append(diffs, d...)
	if len(diffs) > 0 {
		return rows, fmt.Sprintf("%s differs: %s", ref, strings.Join(diffs, ", "))
	}
	return rows, ""
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

// notServing asks /readyz once whether the API server answers and
// reaches etcd, and fails when it does not answer at all, or answers that
// it cannot reach etcd: kubectl get fails now, or would wait and then
// fail, the same way. Any other answer lets the GETs go ahead and speak
// for themselves.
func notServing(ctx context.Context, client kubernetes.Interface, host string) (Result, bool) {
	reqCtx, cancel := context.WithTimeout(ctx, readyzProbeTimeout)
	defer cancel()
	body, err := readyz.GetVerbose(reqCtx, client)
	if err != nil && !isAPIStatus(err) && ctx.Err() == nil {
		// No answer at all (refused, reset, timed out): kubectl get gets
		// none now either.
		return Result{Status: StatusFail,
			Message:  fmt.Sprintf("the API server at %s does not answer (%v), so kubectl get shows no objects", host, readyz.ShortError(err)),
			Evidence: []Evidence{{Source: "API server: GET " + host + "/readyz", Field: "status", Want: "ok", Got: readyz.ShortError(err).Error()}}}, true
	}
	if err == nil || !strings.Contains(string(body), "[-]etcd") {
		return Result{}, false
	}
	why := readyz.Summarize(body, err)
	return Result{Status: StatusFail,
		Message:  fmt.Sprintf("the API server at %s answers but cannot reach etcd (%v), so it serves no objects", host, why),
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
