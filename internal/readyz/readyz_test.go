package readyz

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// server answers /readyz with status and body until ready is set, then
// with 200 "ok".
func server(t *testing.T, status int, body string, ready *atomic.Bool) *rest.Config {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ready != nil && ready.Load() {
			_, _ = w.Write([]byte("ok"))
			return
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return &rest.Config{Host: srv.URL}
}

// refused is a config for a server that has gone away.
func refused(t *testing.T) *rest.Config {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	return &rest.Config{Host: srv.URL}
}

const etcdFailed = "[+]ping ok\n[-]etcd failed: reason withheld\n[+]log ok\n[-]poststarthook/rbac/bootstrap-roles failed: reason withheld\nreadyz check failed\n"

func TestGetSummarizes(t *testing.T) {
	tests := []struct {
		name string
		cfg  func(t *testing.T) *rest.Config
		want string
	}{
		{"failed checks", func(t *testing.T) *rest.Config { return server(t, http.StatusInternalServerError, etcdFailed, nil) },
			"readyz failed: etcd failed: reason withheld; poststarthook/rbac/bootstrap-roles failed: reason withheld"},
		{"no answer", refused, "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, err := NewClient(tt.cfg(t))
			if err != nil {
				t.Fatal(err)
			}
			err = Get(context.Background(), client)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Get = %v, want one line with %q", err, tt.want)
			}
		})
	}
}

func TestWait(t *testing.T) {
	var ready atomic.Bool
	time.AfterFunc(700*time.Millisecond, func() { ready.Store(true) })
	start := time.Now()
	if err := Wait(context.Background(), server(t, 500, etcdFailed, &ready), Options{Timeout: 10 * time.Second}); err != nil {
		t.Fatalf("Wait = %v, want ready", err)
	}
	if took := time.Since(start); took < 700*time.Millisecond {
		t.Errorf("ready after %s, before the server was", took)
	}
}

func TestWaitTimesOut(t *testing.T) {
	start := time.Now()
	err := Wait(context.Background(), server(t, 500, etcdFailed, nil), Options{Timeout: time.Second})
	var nr *NotReadyError
	if !errors.As(err, &nr) {
		t.Fatalf("Wait = %v, want a *NotReadyError", err)
	}
	want := "the API server was not ready after 1s (last /readyz answer: readyz failed: etcd failed: reason withheld; "
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Wait = %q, want it to start %q", err, want)
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("gave up after %s, before the timeout", took)
	}
}

func TestWaitNotReadyStops(t *testing.T) {
	gone := errors.New("the node exited")
	calls := 0
	start := time.Now()
	err := Wait(context.Background(), refused(t), Options{Timeout: 30 * time.Second,
		NotReady: func(_ context.Context, last error) error {
			calls++
			if !strings.Contains(last.Error(), "connection refused") {
				t.Errorf("NotReady got %v, want the refused request", last)
			}
			if calls == 2 {
				return gone
			}
			return nil
		}})
	if !errors.Is(err, gone) || calls != 2 {
		t.Errorf("Wait = %v after %d calls, want %v after 2", err, calls, gone)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("stopped after %s, want right after the second request", took)
	}
}

func TestWaitInterrupted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	err := Wait(ctx, refused(t), Options{Timeout: time.Minute})
	if err == nil || !strings.HasPrefix(err.Error(), "interrupted while waiting for the API server") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait = %v, want interrupted", err)
	}
}

func TestWaitNoConfig(t *testing.T) {
	if err := Wait(context.Background(), nil, Options{}); err == nil || !strings.Contains(err.Error(), "no REST config") {
		t.Errorf("Wait = %v, want no REST config", err)
	}
}

func TestWaitNotReady(t *testing.T) {
	if err := WaitNotReady(context.Background(), server(t, 500, etcdFailed, nil), time.Second); err != nil {
		t.Errorf("WaitNotReady on a failing server = %v, want nil", err)
	}
	var ready atomic.Bool
	ready.Store(true)
	err := WaitNotReady(context.Background(), server(t, 500, "", &ready), time.Second)
	if err == nil || err.Error() != "the API server was still ready after 1s" {
		t.Errorf("WaitNotReady on a ready server = %v", err)
	}
}
