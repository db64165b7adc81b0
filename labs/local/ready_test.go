package local

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

func TestSummarizeReadyz(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"failed checks", http.StatusInternalServerError,
			"[+]ping ok\n[-]etcd failed: reason withheld\n[+]log ok\n[-]poststarthook/rbac/bootstrap-roles failed: reason withheld\nreadyz check failed\n",
			"failed checks: etcd, poststarthook/rbac/bootstrap-roles"},
		{"no answer", 0, "", "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			if tt.status == 0 {
				srv.Close()
			} else {
				defer srv.Close()
			}
			client := kubernetes.NewForConfigOrDie(&rest.Config{Host: srv.URL})
			_, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(context.Background())
			if err == nil {
				t.Fatal("no error")
			}
			if got := summarizeReadyz(err); !strings.Contains(got, tt.want) || strings.Contains(got, "\n") {
				t.Errorf("summarizeReadyz(%q)\n got %q\nwant one line with %q", err, got, tt.want)
			}
		})
	}
}
