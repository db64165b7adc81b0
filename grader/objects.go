package grader

import (
	"context"
	"errors"
	"fmt"
	"path"
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
//
// An object that changes between the GET and the LIST (a Pod bound by
// kube-scheduler that moment) makes the views disagree once; a stale
// cache makes them disagree every time. So a disagreement is reported
// only when a second look, objectsPollInterval later, disagrees too.
//
// With a Timeout it looks again every objectsPollInterval while the
// check fails, and reports the last look; it stops at once when looking
// again cannot help (a stale cache, or only what the learner sets is
// wrong).
func (c *ObjectsCheck) Run(ctx context.Context, t Target) Result {
	client, err := clientset(t.RESTConfig)
	if err != nil {
		return Result{Status: StatusError, Message: "could not look: " + err.Error()}
	}
	deadline := time.Now().Add(c.Timeout.Duration)
	disagreed := false
	for {
		r, next := c.look(ctx, t, client)
		switch {
		case r.Status != StatusFail:
			return r
		case next == viewsDisagree && !disagreed:
			disagreed = true
		case next != lookAgain || !time.Now().Add(objectsPollInterval).Before(deadline):
			return r
		default:
			disagreed = false
		}
		select {
		case <-ctx.Done():
			return r
		case <-time.After(objectsPollInterval):
		}
	}
}

// objectsPollInterval is how often an objects check looks again.
const objectsPollInterval = time.Second

// afterLook says whether a failing look may turn out otherwise later.
type afterLook int

const (
	// lookAgain: the API server or a controller may still change it.
	lookAgain afterLook = iota
	// settled: only what the learner sets is wrong, which no controller
	// mends.
	settled
	// viewsDisagree: the LIST and the GET disagree; a stale cache, unless
	// an object changed between them.
	viewsDisagree
)

// look is one look at the objects, and whether looking again may help.
func (c *ObjectsCheck) look(ctx context.Context, t Target, client kubernetes.Interface) (Result, afterLook) {
	if w := apiServerDown(ctx, t); w != nil {
		return Result{Status: StatusFail, Evidence: []Evidence{w.Evidence},
			Message: fmt.Sprintf("the API server at %s does not answer, so kubectl get shows no objects: %s", t.RESTConfig.Host, w.Reason)}, lookAgain
	}
	if r, down := notServing(ctx, client, t.RESTConfig.Host); down {
		return r, lookAgain
	}
	cfg, _ := clientConfig(t.RESTConfig)
	lk, err := newLooker(cfg)
	if err != nil {
		return Result{Status: StatusError, Message: "could not look: " + err.Error()}, lookAgain
	}
	var ev []Evidence
	// wrong: the objects are not as the task wants; refused: the API
	// server answered with an error, as the learner's kubectl get would
	// show it; errs: the check itself cannot ask (a kind not served).
	var wrong, stale, refused, errs []string
	// lagging: what is wrong that a controller, or time, may still change.
	var lagging []lag
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
			return unreachableResult(t, ev, "discovery for "+ref.String(), err), lookAgain
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
				return unreachableResult(t, ev, f.source, f.err), lookAgain
			}
			refused = append(refused, fmt.Sprintf("%s: %v", ref, readyz.ShortError(f.err)))
		}
		if getErr != nil || listErr != nil {
			continue
		}
		listed, got := judge(ref, w.present, listObj), judge(ref, w.present, getObj)
		if rowsAgree(listed.rows, got.rows) {
			ev = append(ev, sourced("API server: LIST and GET "+ref.String(), listed.rows, "not listed, 404 NotFound")...)
			if listed.problem != "" {
				wrong = append(wrong, listed.problem)
				if !listed.settled {
					lagging = append(lagging, lag{ref: ref, obj: listObj, mender: listed.mender})
				}
			}
			continue
		}
		ev = append(ev, sourced("API server: "+listSource(m, ref)+" (kubectl get)", listed.rows, "not listed")...)
		ev = append(ev, sourced("API server: GET "+ref.String(), got.rows, "404 NotFound")...)
		stale = append(stale, ref.String()+": "+disagreement(listObj, getObj))
	}
	switch {
	case len(stale) > 0:
		msg := staleCacheMessage(stale)
		if len(wrong) > 0 {
			msg += "; besides, " + strings.Join(wrong, "; ")
		}
		return Result{Status: StatusFail, Message: msg, Evidence: ev}, viewsDisagree
	case len(wrong) > 0:
		stuck, reasons, why := lk.wontMend(ctx, t, lagging)
		ev = append(ev, why...)
		msg := strings.Join(append(wrong, reasons...), "; ")
		if stuck {
			return Result{Status: StatusFail, Message: msg, Evidence: ev}, settled
		}
		return Result{Status: StatusFail, Message: msg, Evidence: ev}, lookAgain
	case len(refused) > 0:
		return Result{Status: StatusFail, Evidence: ev,
			Message: "the API server answers with an error where kubectl get would show the objects: " + strings.Join(refused, "; ")}, lookAgain
	case len(errs) > 0:
		return Result{Status: StatusError, Message: "could not look: " + strings.Join(errs, "; "), Evidence: ev}, lookAgain
	}
	return Result{Status: StatusPass, Evidence: ev,
		Message: fmt.Sprintf("kubectl get (LIST) and GET by name both show the %d expected objects with their data and none of the %d that must be gone", len(c.Present), len(c.Absent))}, lookAgain
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
