package grader

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/ckat/ckat/internal/kubeadm"
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
		_, _ = io.WriteString(w, body)
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
				go func() { _, _ = io.Copy(up, c) }()
				_, _ = io.Copy(c, up)
			}()
		}
	}()
	cfg := rest.CopyConfig(target)
	cfg.Host = "https://" + addr
	return cfg
}

// kubeadm's two control-plane manifests, valid, as testdata files.
var controlPlaneManifests = map[string]string{
	DefaultAPIServerManifest: "valid-kube-apiserver.yaml",
	kubeadm.EtcdManifest:     "valid-etcd-kubeadm.yaml",
}

// withManifest is controlPlaneManifests with path's file replaced by
// file from internal/staticpod/testdata ("" removes it from the node).
func withManifest(path, file string) map[string]string {
	m := map[string]string{}
	for p, f := range controlPlaneManifests {
		m[p] = f
	}
	m[path] = file
	return m
}

func TestAPIServerReadyCheck(t *testing.T) {
	srv := apiServerForTest(t)
	refused := func(t *testing.T) *rest.Config { return refusedConfig(t) }
	etcdFailed := func(t *testing.T) *rest.Config {
		return answeringConfig(t, 500, "[+]ping ok\n[-]etcd failed: reason withheld\n[+]log ok\nreadyz check failed\n")
	}
	tests := []struct {
		name      string
		config    func(t *testing.T) *rest.Config
		manifests map[string]string // node path -> internal/staticpod/testdata file; nil: both valid
		timeout   time.Duration
		status    Status
		message   string
		got       string // in the last evidence row
		atOnce    bool   // fails without polling to the timeout
	}{
		{"ready", func(*testing.T) *rest.Config { return srv.config }, nil, 0, StatusPass, "the API server is ready", "ok", false},
		{"refused until the deadline, manifests in place", refused, nil, 2 * time.Second, StatusFail,
			"the API server did not become ready in 2s: ", "connection refused", false},
		{"not ready", etcdFailed, nil, time.Second, StatusFail,
			"the API server did not become ready in 1s: readyz failed: etcd failed: reason withheld", "readyz failed: etcd failed: reason withheld", false},
		{"ready while polling", func(t *testing.T) *rest.Config { return lateForwarder(t, srv.config, 1500*time.Millisecond) }, nil,
			20 * time.Second, StatusPass, " of polling)", "ok", false},
		{"no config", func(*testing.T) *rest.Config { return nil }, nil, time.Second, StatusError, "could not look: no REST config", "", false},
		// The learner left kube-apiserver.yaml out of the manifests
		// directory: no point in waiting.
		{"refused, its manifest moved out", refused, withManifest(DefaultAPIServerManifest, ""), 20 * time.Second, StatusFail,
			"nothing will start it: its static pod manifest /etc/kubernetes/manifests/kube-apiserver.yaml is not on the node", "connection refused", true},
		// A manifest put back a moment ago: the check waits for the API
		// server it starts.
		{"its manifest moved out, API server answers", func(*testing.T) *rest.Config { return srv.config },
			withManifest(DefaultAPIServerManifest, ""), 0, StatusPass, "the API server is ready", "ok", false},
		{"refused, its manifest has a tab", refused, withManifest(DefaultAPIServerManifest, "invalid-tab.yaml"), 20 * time.Second, StatusFail,
			"nothing will start it: its static pod manifest does not parse as a Pod: /etc/kubernetes/manifests/kube-apiserver.yaml: line ", "connection refused", true},
		// The hostPath edit broke etcd.yaml: the kubelet stops etcd, and
		// the API server answers but is never ready.
		{"etcd failed, etcd's manifest has a tab", etcdFailed, withManifest(kubeadm.EtcdManifest, "invalid-tab.yaml"), 20 * time.Second, StatusFail,
			"and cannot be: it needs etcd, and nothing will start etcd: its static pod manifest does not parse as a Pod: /etc/kubernetes/manifests/etcd.yaml: line ",
			"readyz failed: etcd failed", true},
		{"refused, etcd's manifest moved out", refused, withManifest(kubeadm.EtcdManifest, ""), 20 * time.Second, StatusFail,
			"nothing will start etcd: its static pod manifest /etc/kubernetes/manifests/etcd.yaml is not on the node", "connection refused", true},
		// An unknown field only a strict reading refuses: the kubelet runs
		// the pod, so the check waits.
		{"refused, etcd's manifest has an unknown field", refused, withManifest(kubeadm.EtcdManifest, "valid-unknown-field.yaml"), 2 * time.Second, StatusFail,
			"the API server did not become ready in 2s: ", "connection refused", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := &APIServerReadyCheck{Timeout: Duration{tt.timeout}}
			node := newHostDirNode(t)
			manifests := tt.manifests
			if manifests == nil {
				manifests = controlPlaneManifests
			}
			for path, file := range manifests {
				if file != "" {
					node.writeNodeFile(t, path, readTestdata(t, "../../internal/staticpod/testdata/"+file))
				}
			}
			start := time.Now()
			r := check.Run(context.Background(), Target{RESTConfig: tt.config(t), Node: node})
			took := time.Since(start)
			if r.Status != tt.status || !strings.Contains(r.Message, tt.message) {
				t.Fatalf("Run = %s %q, want %s containing %q", r.Status, r.Message, tt.status, tt.message)
			}
			if tt.got != "" && (len(r.Evidence) == 0 || !strings.Contains(r.Evidence[len(r.Evidence)-1].Got, tt.got)) {
				t.Errorf("evidence = %+v, want the last row's got containing %q", r.Evidence, tt.got)
			}
			if tt.name == "ready while polling" && took < 1500*time.Millisecond {
				t.Errorf("passed after %s, before the API server was reachable", took)
			}
			switch {
			case tt.atOnce:
				if took >= tt.timeout {
					t.Errorf("failed after %s: it polled for the whole timeout though nothing would make the API server ready", took)
				}
				if len(r.Evidence) != 2 || r.Evidence[0].Want == "ok" || r.Evidence[1].Want != "ok" {
					t.Errorf("evidence = %+v, want the manifest row then the /readyz answer", r.Evidence)
				}
			case tt.status == StatusFail && took < tt.timeout:
				t.Errorf("failed after %s, before the %s timeout", took, tt.timeout)
			}
		})
	}
}

// TestAPIServerReadyCheckManifestMovedOutWhilePolling: the manifests are
// in place when the check starts, then the learner moves kube-apiserver.yaml
// out (the first half of "stop the API server"). The check notices within
// a few seconds instead of polling to its timeout.
func TestAPIServerReadyCheckManifestMovedOutWhilePolling(t *testing.T) {
	node := newHostDirNode(t)
	for path, file := range controlPlaneManifests {
		node.writeNodeFile(t, path, readTestdata(t, "../../internal/staticpod/testdata/"+file))
	}
	moved := time.AfterFunc(time.Second, func() { _ = os.Remove(node.host(DefaultAPIServerManifest)) })
	defer moved.Stop()
	timeout := 30 * time.Second
	start := time.Now()
	r := (&APIServerReadyCheck{Timeout: Duration{timeout}}).Run(context.Background(), Target{RESTConfig: refusedConfig(t), Node: node})
	took := time.Since(start)
	want := "nothing will start it: its static pod manifest /etc/kubernetes/manifests/kube-apiserver.yaml is not on the node"
	if r.Status != StatusFail || !strings.Contains(r.Message, want) {
		t.Fatalf("Run = %s %q, want a fail containing %q", r.Status, r.Message, want)
	}
	if took < time.Second || took >= timeout {
		t.Errorf("failed after %s: want after the manifest moved out (1s) and well before the %s timeout", took, timeout)
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
