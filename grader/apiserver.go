package grader

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/ckat/ckat/internal/kubeadm"
)

// DefaultReadyTimeout is how long APIServerReadyCheck polls by default: a
// restored cluster's API server can take about a minute to be ready.
const DefaultReadyTimeout = 90 * time.Second

// DefaultAPIServerManifest is where kubeadm writes the API server's
// static pod manifest.
const DefaultAPIServerManifest = kubeadm.APIServerManifest

// readyPollInterval is the pause between two /readyz requests.
const readyPollInterval = 500 * time.Millisecond

// manifestLookInterval is how often a failing api-server-ready reads the
// static pod manifests to see whether anything will start the pods: at
// the first failed request, then no more often than this (on kind each
// read is a command run in the node's container).
const manifestLookInterval = 3 * time.Second

// Run polls /readyz until it answers ok or Timeout passes. An API server
// that never becomes ready is a fail (that is the learner's cluster), with
// the last answer or error as evidence. One that is not ready while its
// static pod manifest, or etcd's, is missing from the node or does not
// parse fails at once: nothing will start it.
func (c *APIServerReadyCheck) Run(ctx context.Context, t Target) Result {
	timeout := c.Timeout.Duration
	if timeout == 0 {
		timeout = DefaultReadyTimeout
	}
	manifest := c.Manifest
	if manifest == "" {
		manifest = DefaultAPIServerManifest
	}
	client, err := clientset(t.RESTConfig)
	if err != nil {
		return Result{Status: StatusError, Message: "could not look: " + err.Error()}
	}
	source := "API server: GET " + t.RESTConfig.Host + "/readyz"
	deadline := time.Now().Add(timeout)
	start := time.Now()
	var last error
	var lookedAt time.Time
	for {
		reqCtx, cancel := context.WithDeadline(ctx, deadline)
		body, err := getReadyz(reqCtx, client)
		cancel()
		if err == nil {
			msg := "the API server is ready"
			if last != nil {
				msg += fmt.Sprintf(" (after %s of polling)", time.Since(start).Round(100*time.Millisecond))
			}
			return Result{Status: StatusPass, Message: msg,
				Evidence: []Evidence{{Source: source, Field: "status", Want: "ok", Got: "ok"}}}
		}
		if ctx.Err() != nil {
			return Result{Status: StatusError, Message: "could not look: interrupted while waiting for /readyz: " + ctx.Err().Error()}
		}
		if !(errors.Is(err, context.DeadlineExceeded) && last != nil) {
			last = readyError(body, err)
		}
		if time.Since(lookedAt) >= manifestLookInterval {
			lookedAt = time.Now()
			if r, never := wontBecomeReady(ctx, t, manifest, source, last); never {
				return r
			}
		}
		if time.Until(deadline) <= 0 {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(min(readyPollInterval, time.Until(deadline))):
		}
	}
	return Result{Status: StatusFail,
		Message:  fmt.Sprintf("the API server did not become ready in %s: %v", Duration{timeout}, last),
		Evidence: []Evidence{{Source: source, Field: "status", Want: "ok", Got: last.Error()}}}
}

// getReadyz GETs /readyz?verbose: each readiness check on its own line,
// "[-]" before those that failed.
func getReadyz(ctx context.Context, client kubernetes.Interface) ([]byte, error) {
	return client.Discovery().RESTClient().Get().AbsPath("/readyz").Param("verbose", "true").DoRaw(ctx)
}

// readyError summarises a failed /readyz: the checks it lists as failed,
// else the error.
func readyError(body []byte, err error) error {
	var failed []string
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "[-]") {
			failed = append(failed, strings.TrimPrefix(line, "[-]"))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("readyz failed: %s", strings.Join(failed, "; "))
	}
	return shortError(err)
}

// wontBecomeReady reports whether the API server cannot become ready
// however long the check waits, and the failed result that says so: its
// own manifest is gone or broken, or etcd's is (an API server is never
// ready without its etcd). A node it cannot look at counts as both pods
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
	return Result{}, false
}
