package grader

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// viewsServer answers for one Pod ns/p: a GET by name shows it on the node
// getNode returns for the n-th GET (from 1), a LIST always on node
// "controlplane", as kube-scheduler bound it.
func viewsServer(t *testing.T, getNode func(n int64) string) *rest.Config {
	t.Helper()
	pod := func(node string) string {
		return fmt.Sprintf(`{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","namespace":"ns","resourceVersion":"7"},"spec":{"nodeName":%q,"containers":[{"name":"c","image":"nginx"}]}}`, node)
	}
	var gets atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/readyz":
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, "ok")
		case "/api/v1/namespaces/ns/pods/p":
			_, _ = io.WriteString(w, pod(getNode(gets.Add(1))))
		case "/api/v1/namespaces/ns/pods":
			_, _ = io.WriteString(w, `{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":[`+pod("controlplane")+`]}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`)
		}
	}))
	t.Cleanup(srv.Close)
	return &rest.Config{Host: srv.URL, TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
}

// TestObjectsCheckViewsDisagreeOnce: a Pod bound between the GET and the
// LIST is not taken for a stale cache; views that keep disagreeing are.
func TestObjectsCheckViewsDisagreeOnce(t *testing.T) {
	check := ObjectsCheck{Present: []ObjectRef{{Kind: "Pod", Namespace: "ns", Name: "p", NodeName: "controlplane"}}}

	boundAfterFirstGet := viewsServer(t, func(n int64) string {
		if n == 1 {
			return ""
		}
		return "controlplane"
	})
	if r := check.Run(context.Background(), Target{RESTConfig: boundAfterFirstGet}); r.Status != StatusPass {
		t.Errorf("a Pod bound between the GET and the LIST: Run = %s %q, want pass at the second look", r.Status, r.Message)
	}

	stale := viewsServer(t, func(int64) string { return "" })
	began := time.Now()
	r := check.Run(context.Background(), Target{RESTConfig: stale})
	want := "pod ns/p: kubectl get and a GET by name show different contents"
	if r.Status != StatusFail || !strings.Contains(r.Message, want) {
		t.Errorf("views that keep disagreeing: Run = %s %q, want fail containing %q", r.Status, r.Message, want)
	}
	if took := time.Since(began); took < objectsPollInterval || took > 15*time.Second {
		t.Errorf("views that keep disagreeing were reported after %s, want after a second look", took.Round(time.Millisecond))
	}
}
