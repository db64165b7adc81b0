package web

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ckat/ckat/classes"
	"github.com/ckat/ckat/labs"
)

// fixture is a server over a class of two learners, ana and ben, whose
// labs are records only (a lab that is not running), and whose terminals
// run sh on the host instead of a shell on a node.
type fixture struct {
	srv        *httptest.Server
	web        *Server
	class      *classes.Class
	tokens     map[string]string // learner name -> token
	instructor string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	t.Setenv("CKAT_HOME", t.TempDir())
	store, err := classes.DefaultStore()
	if err != nil {
		t.Fatal(err)
	}
	c, itok, err := store.Create("c1", "etcd-backup-restore", "local", nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{class: c, tokens: map[string]string{}, instructor: itok}
	for _, name := range []string{"ana", "ben"} {
		lab := classes.LabName("c1", name)
		if _, err := labs.CreateDir(labs.Record{Name: lab, Provider: "local"}); err != nil {
			t.Fatal(err)
		}
		_, tok, err := c.AddLearner(name, lab, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[name] = tok
	}
	if f.class, err = store.Open("c1"); err != nil {
		t.Fatal(err)
	}
	f.web = New(Options{
		Store: store, Shell: hostShell, Grace: 5 * time.Second, Poll: 100 * time.Millisecond,
	})
	f.srv = httptest.NewServer(f.web.Handler())
	t.Cleanup(func() {
		f.srv.Close()
		f.web.Close()
	})
	return f
}

// hostShell is sh on the host with a plain prompt.
func hostShell(string) *exec.Cmd {
	cmd := exec.Command("/bin/sh")
	cmd.Env = []string{"PS1=$ ", "TERM=dumb", "PATH=/usr/bin:/bin"}
	return cmd
}

// client returns an HTTP client with a cookie jar that opened link (a
// learner's or the instructor's), and the response to opening it.
func (f *fixture) client(t *testing.T, link string) (*http.Client, *http.Response) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(f.srv.URL + link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return c, resp
}

// get returns a request's status and body.
func get(t *testing.T, c *http.Client, method, url string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// dial opens a terminal WebSocket with c's cookies.
func (f *fixture) dial(t *testing.T, c *http.Client, path string, header http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h := http.Header{}
	for k, v := range header {
		h[k] = v
	}
	return websocket.Dial(ctx, "ws"+strings.TrimPrefix(f.srv.URL, "http")+path, &websocket.DialOptions{HTTPClient: c, HTTPHeader: h})
}

// terminal opens a terminal WebSocket at path with c's cookies; it is
// closed when the test ends.
func (f *fixture) terminal(t *testing.T, c *http.Client, path string) *websocket.Conn {
	t.Helper()
	conn, _, err := f.dial(t, c, path, nil)
	if err != nil {
		t.Fatalf("opening the terminal at %s: %v", path, err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	return conn
}

// readUntil reads a terminal's output until it holds want.
func readUntil(t *testing.T, conn *websocket.Conn, want string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var got bytes.Buffer
	for !strings.Contains(got.String(), want) {
		_, p, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("waiting for %q in the terminal: %v; it showed %q", want, err, got.String())
		}
		got.Write(p)
	}
	return got.String()
}
