package web

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ckat/ckat/internal/testbin"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/ckat/ckat/classes"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/labs/providers"
	"github.com/ckat/ckat/scenarios"
)

// repoDir is the repository's top directory.
func repoDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// chromiumPath is the Chromium the browser test drives. Its absence fails
// the test: CI installs it, and so must a developer.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium is not on PATH, and the browser test needs it: install it with 'apt-get install chromium' (or run go test -short to leave the test out)")
	return ""
}

// liveClass is a class whose learners have real local labs, served by a
// web server on 127.0.0.1.
type liveClass struct {
	class      *classes.Class
	srv        *httptest.Server
	url        string
	instructor string            // the instructor's token
	tokens     map[string]string // learner -> token
}

// newLiveClass makes class name on the local provider with a lab of the
// scenario for each learner, as `ckat class create` does, and serves it
// with opts (its store and shell filled in). The labs are deleted and the
// server stopped when the test ends.
func newLiveClass(t testing.TB, ctx context.Context, name, scenario string, opts Options, learners ...string) *liveClass {
	t.Helper()
	ckat := testbin.Path(t, "ckat")
	apiserver := testbin.Path(t, "kube-apiserver")
	t.Setenv("CKAT_HOME", t.TempDir())
	t.Setenv("CKAT_LAB", "")
	store, err := classes.DefaultStore()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Get(scenario, "")
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(7)
	class, itok, err := store.Create(name, sc.Metadata.Name, "local", &seed)
	if err != nil {
		t.Fatalf("creating class %s: %v", name, err)
	}
	p, err := providers.Get("local", providers.WithCkat(ckat), providers.WithKubeAPIServer(apiserver))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deleteLabs(t, store, name, p) })
	began := time.Now()
	lc := &liveClass{instructor: itok, tokens: map[string]string{}}
	for _, r := range class.Provision(ctx, learners, classes.ProvisionOptions{Scenario: sc, Provider: p, Parallel: min(len(learners), max(labs.CreateParallel(), 2))}) {
		if r.Err != nil {
			t.Fatalf("making the lab of learner %s: %v", r.Learner, r.Err)
		}
		lc.tokens[r.Learner] = r.Token
	}
	t.Logf("%d labs ready in %s", len(learners), time.Since(began).Round(100*time.Millisecond))
	if lc.class, err = store.Open(name); err != nil {
		t.Fatal(err)
	}
	opts.Store, opts.Shell = store, SSHShell(ckat)
	srv := New(opts)
	hs := httptest.NewServer(srv.Handler()) // on 127.0.0.1:0
	t.Cleanup(func() {
		srv.Close()
		hs.Close()
	})
	lc.srv, lc.url = hs, hs.URL
	return lc
}

// deleteLabs deletes the labs of class name's learners, all at once.
func deleteLabs(t testing.TB, store *classes.Store, name string, p labs.Provider) {
	c, err := store.Open(name)
	if err != nil {
		t.Errorf("deleting the labs of class %s: %v", name, err)
		return
	}
	var wg sync.WaitGroup
	for _, l := range c.Learners {
		wg.Go(func() {
			if err := p.Delete(context.Background(), l.Lab); err != nil && !errors.Is(err, labs.ErrNotFound) {
				t.Errorf("deleting lab %s: %v", l.Lab, err)
			}
		})
	}
	wg.Wait()
}

// newBrowser starts a headless Chromium of its own profile; it quits when
// ctx ends or the test does.
func newBrowser(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
		// Root (CI) cannot run Chromium's sandbox.
		chromedp.NoSandbox,
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting %s: %v", chromiumPath(t), err)
	}
	return bctx
}

// tab is one browser tab, with the errors its pages wrote to the console.
type tab struct {
	t    *testing.T
	name string
	ctx  context.Context

	mu     sync.Mutex
	errors []string
}

// newTab opens a tab in browser and collects its console's errors and
// uncaught exceptions.
func newTab(t *testing.T, browser context.Context, name string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	tb := &tab{t: t, name: name, ctx: ctx}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				tb.mu.Lock()
				tb.errors = append(tb.errors, fmt.Sprintf("%s:%d: %s", m.URL, m.Line+1, m))
				tb.mu.Unlock()
			}
		}
	}()
	return tb
}

// noErrors fails the test if the tab's pages wrote an error to the
// console or threw an exception nothing caught.
func (tb *tab) noErrors() {
	tb.t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, e := range tb.errors {
		tb.t.Errorf("%s: JavaScript console: %s", tb.name, e)
	}
	tb.errors = nil
}

// do runs actions in the tab, failing the test on an error.
func (tb *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, actions...); err != nil {
		tb.t.Fatalf("%s: %s: %v", tb.name, what, err)
	}
}

// eval evaluates a JavaScript expression in the tab's page.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.t.Fatalf("%s: evaluating %s: %v", tb.name, expr, err)
	}
	return v
}

// waitText waits up to limit until the text that expr evaluates to (what
// the page shows somewhere) matches re, and returns it.
func (tb *tab) waitText(what string, limit time.Duration, expr string, re *regexp.Regexp) string {
	tb.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		got := strings.ReplaceAll(eval[string](tb, expr), "\u00a0", " ")
		if re.MatchString(got) {
			return got
		}
		if time.Now().After(deadline) {
			tb.t.Fatalf("%s: %s: not shown within %s; the page shows:\n%s", tb.name, what, limit, got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// typeKeys types text into the focused element as a keyboard does: a
// keydown that carries each character's text, then a keyup. (A separate
// char event, as chromedp.KeyEvent sends, makes xterm.js take each
// character twice.)
func typeKeys(text string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, r := range text {
			for _, k := range kb.Encode(r) {
				if k.Type == kb.KeyChar {
					continue
				}
				if v, ok := kb.Keys[r]; ok && v.Print && k.Type == kb.KeyDown {
					k.Text, k.UnmodifiedText = v.Text, v.Unmodified
				}
				if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, *k); err != nil {
					return fmt.Errorf("typing %q: %w", r, err)
				}
			}
		}
		return nil
	})
}

// terminalText is the JavaScript for the text the terminal in el shows,
// a line per row.
func terminalText(el string) string {
	return fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).map(r => r.textContent.trimEnd()).join("\n")`, el+" .xterm-rows > div")
}

// screenshot writes the tab's page to docs/NAME.png when
// CKAT_SCREENSHOTS=1: the pictures README shows.
func (tb *tab) screenshot(name string) {
	tb.t.Helper()
	if os.Getenv("CKAT_SCREENSHOTS") != "1" {
		return
	}
	png, err := chromedp.Run(tb.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.t.Fatalf("%s: screenshot: %v", tb.name, err)
	}
	path := filepath.Join(repoDir(), "docs", name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
	tb.t.Logf("wrote %s", path)
}
