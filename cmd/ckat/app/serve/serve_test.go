package serve

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
)

// TestRefusesPlainHTTPBeyondLoopback: any address but loopback needs TLS
// or --insecure, and the refusal says why and what to do.
func TestRefusesPlainHTTPBeyondLoopback(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want string // "" when allowed
	}{
		{Options{Listen: "127.0.0.1:0"}, ""},
		{Options{Listen: "localhost:0"}, ""},
		{Options{Listen: "[::1]:0"}, ""},
		{Options{Listen: "0.0.0.0:8080"}, "refusing to serve plain HTTP on 0.0.0.0:8080"},
		{Options{Listen: ":8080"}, "refusing to serve plain HTTP on :8080"},
		{Options{Listen: "192.168.1.5:8080"}, "give --tls-cert and --tls-key"},
		{Options{Listen: "0.0.0.0:8080", Insecure: true}, ""},
		{Options{Listen: "0.0.0.0:8080", TLSCert: "c.pem"}, "--tls-cert and --tls-key go together"},
		{Options{Listen: "0.0.0.0:8080", TLSCert: "/nonexistent/c.pem", TLSKey: "/nonexistent/k.pem"}, "loading --tls-cert /nonexistent/c.pem"},
		{Options{Listen: "8080"}, `invalid --listen "8080"`},
		{Options{Listen: "127.0.0.1:0", FreezeAfter: -time.Second}, "--freeze-after is -1s; it must not be negative"},
	} {
		_, err := checkOptions(tc.opts)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v: %v, want it allowed", tc.opts, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%+v: %v, want an error with %q", tc.opts, err, tc.want)
		}
	}
}

// TestServeShutsDown: ckat serve answers until its context ends, then
// stops.
func TestServeShutsDown(t *testing.T) {
	t.Setenv("CKAT_HOME", t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() {
		done <- Serve(ctx, log.NoOp(), cli.Streams{In: strings.NewReader(""), Out: &out, Err: io.Discard},
			Options{Listen: "127.0.0.1:0"}, func(u string) { urls <- u })
	}()
	var base string
	select {
	case base = <-urls:
	case err := <-done:
		t.Fatalf("serve ended: %v", err)
	}
	resp, err := http.Get(base + "/learn/" + strings.Repeat("x", 43))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a wrong token: %d, want 403", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after its context ended: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop within 10 s of its context ending")
	}
	if !strings.Contains(out.String(), "Serving the classes in ") {
		t.Errorf("serve printed %q, want where it serves", out.String())
	}
}
