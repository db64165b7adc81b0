package grader

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// DefaultReadyTimeout is how long APIServerReadyCheck polls by default: a
// restored cluster's API server can take about a minute to be ready.
const DefaultReadyTimeout = 90 * time.Second

// readyPollInterval is the pause between two /readyz requests.
const readyPollInterval = 500 * time.Millisecond

// Run polls /readyz until it answers ok or Timeout passes. An API server
// that never becomes ready is a fail (that is the learner's cluster), with
// the last answer or error as evidence.
func (c *APIServerReadyCheck) Run(ctx context.Context, t Target) Result {
	timeout := c.Timeout.Duration
	if timeout == 0 {
		timeout = DefaultReadyTimeout
	}
	client, err := clientset(t.RESTConfig)
	if err != nil {
		return Result{Status: StatusError, Message: "could not look: " + err.Error()}
	}
	source := "API server: GET " + t.RESTConfig.Host + "/readyz"
	deadline := time.Now().Add(timeout)
	start := time.Now()
	var last error
	for {
		reqCtx, cancel := context.WithDeadline(ctx, deadline)
		body, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").Param("verbose", "true").DoRaw(reqCtx)
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
