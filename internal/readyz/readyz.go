// Package readyz waits for a Kubernetes API server's /readyz to answer ok
// (or to stop answering ok), with one set of timeouts for everything in
// ckat that waits: creating or starting a lab, a scenario step, a grade.
package readyz

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

const (
	// PollInterval is the pause between two /readyz requests. A wait for
	// a lab, a reset or a restored API server ends on average half an
	// interval after the API server is ready, and a request costs it about
	// 2.5 ms of CPU (500 on one connection took 1.3 s), so polling takes
	// about 2.5% of a core while it lasts.
	PollInterval = 100 * time.Millisecond

	// RequestTimeout bounds one /readyz request when the caller's client
	// config sets no timeout of its own.
	RequestTimeout = 5 * time.Second

	// LabTimeout is how long creating or starting a lab waits for its API
	// server by default, and how long a reset waits after restoring the
	// whole control plane: the node boots the static pods, and etcd and
	// the API server start from cold.
	LabTimeout = 3 * time.Minute

	// StepTimeout is how long a scenario step waits for its condition
	// when the scenario names no timeout.
	StepTimeout = 2 * time.Minute

	// GradeTimeout is how long the grader's api-server-ready check waits
	// by default: a restored cluster's API server can take about a minute
	// to be ready.
	GradeTimeout = 90 * time.Second
)

// Options tune Wait. The zero value polls every PollInterval for
// LabTimeout.
type Options struct {
	// Timeout bounds the whole wait; zero means LabTimeout.
	Timeout time.Duration
	// Interval is the pause between two requests; zero means PollInterval.
	Interval time.Duration
	// NotReady, when set, is called after each request that did not
	// answer ok, with the answer summarised (see Summarize). A non-nil
	// error stops the wait and Wait returns it as is: the caller knows
	// the API server cannot become ready (its node exited, its manifest
	// is gone).
	NotReady func(ctx context.Context, last error) error
}

// NotReadyError is the API server still not ready when the wait ran out.
type NotReadyError struct {
	// Timeout is how long Wait polled.
	Timeout time.Duration
	// Last is the last answer, summarised (see Summarize); nil when no
	// request finished.
	Last error
}

func (e *NotReadyError) Error() string {
	return fmt.Sprintf("the API server was not ready after %s (last /readyz answer: %v)", e.Timeout, e.Last)
}

// Unwrap returns the last answer.
func (e *NotReadyError) Unwrap() error { return e.Last }

// errNoAnswer is the last answer before any request finished.
var errNoAnswer = errors.New("no answer yet")

// Wait polls cfg's API server's /readyz until it answers ok (nil), the
// timeout passes (a *NotReadyError), NotReady returns an error (that
// error), or ctx ends (an error wrapping ctx's).
func Wait(ctx context.Context, cfg *rest.Config, opts Options) error {
	client, err := NewClient(cfg)
	if err != nil {
		return err
	}
	timeout := or(opts.Timeout, LabTimeout)
	last := errNoAnswer
	err = wait.PollUntilContextTimeout(ctx, or(opts.Interval, PollInterval), timeout, true, func(pctx context.Context) (bool, error) {
		err := Get(pctx, client)
		if err == nil {
			return true, nil
		}
		// A request the wait's own deadline cut short says nothing new.
		if !expired(pctx) || last == errNoAnswer {
			last = err
		}
		if opts.NotReady != nil {
			return false, opts.NotReady(pctx, last)
		}
		return false, nil
	})
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("interrupted while waiting for the API server: %w", ctx.Err())
	case wait.Interrupted(err):
		return &NotReadyError{Timeout: timeout, Last: last}
	}
	return err
}

// WaitNotReady polls until cfg's API server's /readyz stops answering ok:
// something broke the control plane and the node restarted the API server
// with the fault. It fails when the API server is still ready after
// timeout.
func WaitNotReady(ctx context.Context, cfg *rest.Config, timeout time.Duration) error {
	client, err := NewClient(cfg)
	if err != nil {
		return err
	}
	err = wait.PollUntilContextTimeout(ctx, PollInterval, timeout, true, func(pctx context.Context) (bool, error) {
		return Get(pctx, client) != nil && !expired(pctx), nil
	})
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("interrupted while waiting for the API server to stop being ready: %w", ctx.Err())
	case wait.Interrupted(err):
		return fmt.Errorf("the API server was still ready after %s", timeout)
	}
	return err
}

// NewClient is a client for cfg whose requests each give up after
// RequestTimeout unless cfg sets a timeout; a nil cfg is an error.
func NewClient(cfg *rest.Config) (kubernetes.Interface, error) {
	if cfg == nil {
		return nil, errors.New("no REST config for the lab's API server")
	}
	c := rest.CopyConfig(cfg)
	if c.Timeout == 0 {
		c.Timeout = RequestTimeout
	}
	client, err := kubernetes.NewForConfig(c)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", cfg.Host, err)
	}
	return client, nil
}

// Get asks /readyz once. It returns nil when the API server answers ok,
// else the answer summarised (see Summarize).
func Get(ctx context.Context, client kubernetes.Interface) error {
	body, err := GetVerbose(ctx, client)
	if err == nil {
		return nil
	}
	return Summarize(body, err)
}

// GetVerbose GETs /readyz?verbose: each readiness check on its own line,
// "[-]" before those that failed. The error is client-go's: nil for a 2xx
// answer. It asks once: client-go would otherwise retry a GET whose
// connection was reset or closed up to ten times, about 20 s, where the
// callers poll or want the answer kubectl gets now.
func GetVerbose(ctx context.Context, client kubernetes.Interface) ([]byte, error) {
	return client.Discovery().RESTClient().Get().AbsPath("/readyz").Param("verbose", "true").MaxRetries(0).DoRaw(ctx)
}

// Summarize makes a failed /readyz answer one line: the checks it lists
// as failed, else the error without client-go's account of earlier
// retries.
func Summarize(body []byte, err error) error {
	text := string(body)
	var status apierrors.APIStatus
	if len(body) == 0 && errors.As(err, &status) {
		// client-go keeps an unexpected answer's body as a cause.
		if d := status.Status().Details; d != nil {
			for _, c := range d.Causes {
				text += "\n" + c.Message
			}
		}
	}
	var failed []string
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "[-]") {
			failed = append(failed, strings.TrimPrefix(line, "[-]"))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("readyz failed: %s", strings.Join(failed, "; "))
	}
	return ShortError(err)
}

// ShortError drops client-go's account of earlier retries from err, and
// makes it one line.
func ShortError(err error) error {
	msg := err.Error()
	if m, _, cut := strings.Cut(msg, " - error from a previous attempt"); cut {
		msg = m
	}
	msg = strings.ReplaceAll(strings.TrimSpace(msg), "\n", " ")
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}

// expired reports whether ctx is done or its deadline has passed: a
// request made then fails (the client's rate limiter refuses it before
// ctx says it is done) without the API server having answered.
func expired(ctx context.Context) bool {
	deadline, ok := ctx.Deadline()
	return ctx.Err() != nil || ok && !time.Now().Before(deadline)
}

func or(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
