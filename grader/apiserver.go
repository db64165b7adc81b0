package grader

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ckat/ckat/internal/kubeadm"
	"github.com/ckat/ckat/internal/readyz"
)

// DefaultReadyTimeout is how long APIServerReadyCheck polls by default.
const DefaultReadyTimeout = readyz.GradeTimeout

// DefaultAPIServerManifest is where kubeadm writes the API server's
// static pod manifest.
const DefaultAPIServerManifest = kubeadm.APIServerManifest

// manifestLookInterval is how often a failing api-server-ready reads the
// static pod manifests to see whether anything will start the pods: at
// the first failed request, then no more often than this (on kind each
// read is a command run in the node's container).
const manifestLookInterval = 3 * time.Second

// Run polls /readyz until it answers ok or Timeout passes. An API server
// that never becomes ready is a fail (that is the learner's cluster), with
// the last answer or error as evidence. One that is not ready while its
// static pod manifest, or etcd's, is missing from the node or does not
// parse fails at once: nothing will start it. So does one whose
// container, or etcd's, the kubelet keeps restarting with nothing changed
// that could make the next start different (see wontBecomeReady), and so
// does one the kubelet has not run for kubeletPickUp while its manifest is
// in place (a stopped kubelet, or one reading another directory).
func (c *APIServerReadyCheck) Run(ctx context.Context, t Target) Result {
	timeout := c.Timeout.Duration
	if timeout == 0 {
		timeout = DefaultReadyTimeout
	}
	manifest := c.Manifest
	if manifest == "" {
		manifest = DefaultAPIServerManifest
	}
	if t.RESTConfig == nil {
		return Result{Status: StatusError, Message: "could not look: no REST config for the lab's API server"}
	}
	source := "API server: GET " + t.RESTConfig.Host + "/readyz"
	start := time.Now()
	var polled bool
	var lookedAt time.Time
	var never Result
	var noPodSince time.Time // when the kubelet was first seen without the pod
	errNever := errors.New("the API server cannot become ready")
	err := readyz.Wait(ctx, t.RESTConfig, readyz.Options{Timeout: timeout,
		NotReady: func(ctx context.Context, last error) error {
			polled = true
			if time.Since(lookedAt) < manifestLookInterval {
				return nil
			}
			lookedAt = time.Now()
			if r, ok := wontBecomeReady(ctx, t, manifest, source, last); ok {
				never = r
				return errNever
			}
			w := noStaticPod(ctx, t, apiServerPod)
			switch {
			case w == nil:
				noPodSince = time.Time{}
			case noPodSince.IsZero():
				noPodSince = time.Now()
			case time.Since(noPodSince) >= kubeletPickUp:
				never = Result{Status: StatusFail,
					Message:  fmt.Sprintf("the API server is not ready (%v), and nothing runs it: %s", last, w.Reason),
					Evidence: []Evidence{w.Evidence, {Source: source, Field: "status", Want: "ok", Got: last.Error()}}}
				return errNever
			}
			return nil
		}})
	var notReady *readyz.NotReadyError
	switch {
	case err == nil:
		msg := "the API server is ready"
		if polled {
			msg += fmt.Sprintf(" (after %s of polling)", time.Since(start).Round(100*time.Millisecond))
		}
		return Result{Status: StatusPass, Message: msg,
			Evidence: []Evidence{{Source: source, Field: "status", Want: "ok", Got: "ok"}}}
	case errors.Is(err, errNever):
		return never
	case ctx.Err() != nil:
		return Result{Status: StatusError, Message: "could not look: interrupted while waiting for /readyz: " + ctx.Err().Error()}
	case errors.As(err, &notReady):
		return Result{Status: StatusFail,
			Message:  fmt.Sprintf("the API server did not become ready in %s: %v", Duration{timeout}, notReady.Last),
			Evidence: []Evidence{{Source: source, Field: "status", Want: "ok", Got: notReady.Last.Error()}}}
	}
	return Result{Status: StatusError, Message: "could not look: " + err.Error()}
}

// wontBecomeReady reports whether the API server cannot become ready
// however long the check waits, and the failed result that says so: its
// own manifest is gone or broken, or etcd's is (an API server is never
// ready without its etcd); or, where the node reports its static pods,
// kube-apiserver keeps exiting while etcd is ready, or etcd keeps exiting
// (see wontRestartReady); or its --etcd-servers reaches no port where etcd
// serves clients (etcdNeverReached). A node it cannot look at counts as both pods
// being able to run: the polling goes on.
func wontBecomeReady(ctx context.Context, t Target, manifest, source string, last error) (Result, bool) {
	readyz := Evidence{Source: source, Field: "status", Want: "ok", Got: last.Error()}
	if w := staticPodWontRun(ctx, t, manifest); w != nil {
		return Result{Status: StatusFail,
			Message:  fmt.Sprintf("the API server is not ready (%v), and nothing will start it: %s", last, w.Reason),
			Evidence: []Evidence{w.Evidence, readyz}}, true
	}
	if w := staticPodWontRun(ctx, t, kubeadm.EtcdManifest); w != nil {
		return Result{Status: StatusFail,
			Message:  fmt.Sprintf("the API server is not ready (%v), and cannot be: it needs etcd, and nothing will start etcd: %s", last, w.Reason),
			Evidence: []Evidence{w.Evidence, readyz}}, true
	}
	if w := wontRestartReady(ctx, t, apiServerPod); w != nil {
		return Result{Status: StatusFail,
			Message:  fmt.Sprintf("the API server is not ready (%v), and will not be: %s", last, w.Reason),
			Evidence: []Evidence{w.Evidence, readyz}}, true
	}
	if w := wontRestartReady(ctx, t, etcdPod); w != nil {
		return Result{Status: StatusFail,
			Message:  fmt.Sprintf("the API server is not ready (%v), and cannot be: it needs etcd, and %s", last, w.Reason),
			Evidence: []Evidence{w.Evidence, readyz}}, true
	}
	// It starts and waits for etcd until its dial times out, then exits
	// and is started again: never ready while the flag stays.
	if why, e := etcdNeverReached(ctx, t, manifest); why != "" {
		return Result{Status: StatusFail,
			Message:  fmt.Sprintf("the API server is not ready (%v), and cannot be: %s", last, why),
			Evidence: []Evidence{*e, readyz}}, true
	}
	return Result{}, false
}
