package grader

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// refusedConfig is a REST config for a port nothing listens on.
func refusedConfig(t testing.TB) *rest.Config {
	t.Helper()
	port, err := unusedPort()
	if err != nil {
		t.Fatal(err)
	}
	return &rest.Config{Host: fmt.Sprintf("https://127.0.0.1:%d", port), TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
}

// answeringConfig is a REST config for an HTTPS server that answers every
// request with status and body: a load balancer or a sick API server.
func answeringConfig(t testing.TB, status int, body string) *rest.Config {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(body, "{") {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return &rest.Config{Host: srv.URL, TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
}

// lateForwarder listens on a port now and, after delay, forwards its
// connections to target: an API server that comes up while the check polls.
func lateForwarder(t testing.TB, target *rest.Config, delay time.Duration) *rest.Config {
	t.Helper()
	port, err := unusedPort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	targetAddr := strings.TrimPrefix(target.Host, "https://")
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	go func() {
		select {
		case <-time.After(delay):
		case <-done:
			return
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Error(err)
			return
		}
		go func() { <-done; l.Close() }()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				up, err := net.Dial("tcp", targetAddr)
				if err != nil {
					return
				}
				defer up.Close()
				go io.Copy(up, c)
				io.Copy(c, up)
			}()
		}
	}()
	cfg := rest.CopyConfig(target)
	cfg.Host = "https://" + addr
	return cfg
}

func TestAPIServerReadyCheck(t *testing.T) {
	srv := apiServerForTest(t)
	tests := []struct {
		name    string
		config  func(t *testing.T) *rest.Config
		timeout time.Duration
		status  Status
		message string
		got     string
	}{
		{"ready", func(*testing.T) *rest.Config { return srv.config }, 0, StatusPass, "the API server is ready", "ok"},
		{"refused until the deadline, manifest in place", func(t *testing.T) *rest.Config { return refusedConfig(t) }, 2 * time.Second, StatusFail,
			"the API server did not become ready in 2s: ", "connection refused"},
		{"not ready", func(t *testing.T) *rest.Config {
			return answeringConfig(t, 500, "[+]ping ok\n[-]etcd failed: reason withheld\n[+]log ok\nreadyz check failed\n")
		}, time.Second, StatusFail, "the API server did not become ready in 1s: readyz failed: etcd failed: reason withheld", "readyz failed: etcd failed: reason withheld"},
		{"ready while polling", func(t *testing.T) *rest.Config { return lateForwarder(t, srv.config, 1500*time.Millisecond) },
			20 * time.Second, StatusPass, " of polling)", "ok"},
		{"no config", func(*testing.T) *rest.Config { return nil }, time.Second, StatusError, "could not look: no REST config", ""},
		// The learner left kube-apiserver.yaml out of the manifests
		// directory: no point in waiting.
		{"refused, manifest moved out", func(t *testing.T) *rest.Config { return refusedConfig(t) }, 20 * time.Second, StatusFail,
			"nothing will start it: its static pod manifest /etc/kubernetes/manifests/kube-apiserver.yaml is not on the node (", "missing"},
		// A manifest put back a moment ago: the check waits for the API
		// server it starts.
		{"manifest moved out, API server answers", func(*testing.T) *rest.Config { return srv.config }, 0, StatusPass, "the API server is ready", "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := &APIServerReadyCheck{Timeout: Duration{tt.timeout}}
			node := newHostDirNode(t)
			if !strings.Contains(tt.name, "moved out") {
				node.writeNodeFile(t, DefaultAPIServerManifest, []byte("kind: Pod\n"))
			}
			start := time.Now()
			r := check.Run(context.Background(), Target{RESTConfig: tt.config(t), Node: node})
			if r.Status != tt.status || !strings.Contains(r.Message, tt.message) {
				t.Fatalf("Run = %s %q, want %s containing %q", r.Status, r.Message, tt.status, tt.message)
			}
			if tt.got != "" && (len(r.Evidence) == 0 || !strings.Contains(r.Evidence[0].Got, tt.got)) {
				t.Errorf("evidence = %+v, want got containing %q", r.Evidence, tt.got)
			}
			if tt.name == "ready while polling" && time.Since(start) < 1500*time.Millisecond {
				t.Errorf("passed after %s, before the API server was reachable", time.Since(start))
			}
			switch {
			case strings.Contains(tt.name, "moved out") && tt.status == StatusFail:
				if time.Since(start) >= tt.timeout {
					t.Errorf("failed after %s: it polled for the whole timeout though nothing would start the API server", time.Since(start))
				}
				if len(r.Evidence) != 2 || r.Evidence[1].Want != "ok" || !strings.Contains(r.Evidence[1].Got, "connection refused") {
					t.Errorf("evidence = %+v, want the manifest row then the /readyz answer", r.Evidence)
				}
			case tt.status == StatusFail && time.Since(start) < tt.timeout:
				t.Errorf("failed after %s, before the %s timeout", time.Since(start), tt.timeout)
			}
		})
	}
}

func TestAPIServerReadyCheckInterrupted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	r := (&APIServerReadyCheck{}).Run(ctx, Target{RESTConfig: refusedConfig(t)})
	if r.Status != StatusError || !strings.Contains(r.Message, "interrupted") {
		t.Errorf("Run = %s %q, want an error saying it was interrupted", r.Status, r.Message)
	}
}
