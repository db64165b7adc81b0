package web_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/coder/websocket"

	"github.com/ckat/ckat/classes"
	"github.com/ckat/ckat/scenarios/session"
)

// chromium is Debian's chromium, which CI installs (.ci/run).
const chromium = "/usr/bin/chromium"

// repoDir is the repository's root.
func repoDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// binDir is $CKAT_BIN_DIR, else the repository's bin/.
func binDir() string {
	if d := os.Getenv("CKAT_BIN_DIR"); d != "" {
		return d
	}
	return filepath.Join(repoDir(), "bin")
}

// TestBrowser drives a real headless Chromium through a class of two:
// ana opens her link, types the etcd backup into her terminal, grades and
// sees ✔; the instructor's grid shows her grade within 2 s; ben's token
// opens neither ana's terminal nor the instructor's page. With
// CKAT_UPDATE_SCREENSHOTS=1 it saves both pages into docs/.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real lab and a browser")
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("this test needs Debian's chromium at %s (apt-get install chromium; .ci/run installs it): %v", chromium, err)
	}
	ckat := filepath.Join(binDir(), "ckat")
	if _, err := os.Stat(ckat); err != nil {
		t.Fatalf("this test needs ckat built (make ckat): %v", err)
	}
	t.Setenv("CKAT_HOME", t.TempDir())
	t.Setenv("CKAT_LAB", "")

	run(t, ckat, "start", "etcd-backup", "--lab", "c1-ana")
	t.Cleanup(func() { _ = exec.Command(ckat, "delete", "--lab", "c1-ana").Run() })
	backup := solution(t, "c1-ana")

	store, err := classes.DefaultStore()
	if err != nil {
		t.Fatal(err)
	}
	class, instructor, err := store.Create("c1", "etcd-backup", "local", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, ana, err := class.AddLearner("ana", "c1-ana", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	_, ben, err := class.AddLearner("ben", "c1-ben", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	base := serve(t, ckat)
	t.Logf("ckat serve answers on %s", base)

	// The learner and the instructor each have a tab; their cookies have
	// different paths.
	ctx := browser(t)
	teacher, cancel := chromedp.NewContext(ctx)
	defer cancel()
	must(t, chromedp.Do(teacher))
	t.Log("the browser runs")
	anaRow := `#grid tbody tr[data-learner="ana"]`
	must(t, chromedp.Do(teacher,
		chromedp.Navigate(base+classes.InstructorPath(instructor)),
		chromedp.WaitVisible(anaRow+` td.score`),
	))
	t.Log("the instructor's grid shows ana")

	must(t, chromedp.Do(ctx,
		chromedp.Navigate(base+classes.LearnerPath(ana)),
		chromedp.WaitVisible(`#status.ok`),
		chromedp.WaitVisible(`.xterm-rows`),
	))
	task, err := chromedp.Run(ctx, chromedp.Text(`#task`))
	must(t, err)
	if !strings.Contains(task, "Create a snapshot of the etcd instance") {
		t.Errorf("ana's page shows the task %q, want the backup task", task)
	}
	waitTerminal(t, ctx, "root@")
	must(t, chromedp.Do(ctx, chromedp.SendKeys(`.xterm-helper-textarea`, backup+kb.Enter)))
	waitTerminal(t, ctx, "Snapshot saved at")

	must(t, chromedp.Do(ctx, chromedp.Click(`#grade`), chromedp.WaitVisible(`#result .report`)))
	report, err := chromedp.Run(ctx, chromedp.Text(`#result .report h3`))
	must(t, err)
	graded := time.Now()
	if !strings.Contains(report, "✔ Passed: 4/4") {
		t.Errorf("after the backup, grade shows %q, want ✔ Passed: 4/4", report)
	}

	for {
		score, err := chromedp.Run(teacher, chromedp.Text(anaRow+` td.score`))
		must(t, err)
		if score == "4/4" {
			break
		}
		if time.Since(graded) > 2*time.Second {
			t.Fatalf("2 s after ana's grade the instructor's grid shows %q for her, want 4/4", score)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("the instructor's grid showed ana's grade %v after the learner's page did", time.Since(graded).Round(time.Millisecond))

	if os.Getenv("CKAT_UPDATE_SCREENSHOTS") == "1" {
		screenshot(t, ctx, "learner.png")
		screenshot(t, teacher, "instructor.png")
	}

	forbidden(t, base, ben)
}

// forbidden checks that ben's token opens neither ana's terminal nor the
// instructor's page, and that the refusals say nothing.
func forbidden(t *testing.T, base, ben string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(base + classes.LearnerPath(ben))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	instructorRoot := classes.InstructorPath("")
	for _, path := range []string{instructorRoot, instructorRoot + "api/grid", classes.InstructorPath(ben)} {
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || string(body) != "forbidden\n" {
			t.Errorf("ben's token at %s: %d %q, want 403 forbidden", path, resp.StatusCode, body)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws := "ws" + strings.TrimPrefix(base, "http") + instructorRoot + "api/terminal?learner=ana"
	conn, resp, err := websocket.Dial(ctx, ws, &websocket.DialOptions{HTTPClient: c})
	if err == nil {
		conn.CloseNow()
		t.Fatal("ben's token opened ana's terminal")
	}
	if resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("ben's token at ana's terminal: %v, want HTTP 403", err)
	}
}

// run runs ckat and fails the test, with its output, if it fails.
func run(t *testing.T, ckat string, args ...string) {
	t.Helper()
	out, err := exec.Command(ckat, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ckat %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// solution is the backup stage's reference solution on lab, as one line a
// learner types.
func solution(t *testing.T, lab string) string {
	t.Helper()
	s, err := session.OpenLab(context.Background(), lab, nil)
	if err != nil {
		t.Fatal(err)
	}
	script := strings.ReplaceAll(s.Stage().Solution, "\\\n", " ")
	script = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(script), "set -e"))
	return regexp.MustCompile(`\s+`).ReplaceAllString(script, " ")
}

// serve starts `ckat serve` on a free loopback port and returns its URL;
// it is stopped with SIGINT when the test ends.
func serve(t *testing.T, ckat string) string {
	t.Helper()
	cmd := exec.Command(ckat, "serve", "--listen", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("ckat serve after SIGINT: %v", err)
			}
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("ckat serve did not stop within 15 s of SIGINT")
		}
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := regexp.MustCompile(`on (http://\S+)$`).FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
	}()
	select {
	case u := <-urls:
		return u
	case <-time.After(30 * time.Second):
		t.Fatal("ckat serve did not say where it listens within 30 s")
	}
	return ""
}

// browser starts headless Chromium with a new, empty profile and nothing
// that reaches the network by itself.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 760),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 15*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	// Start the browser now, so that tabs opened from ctx share it.
	must(t, chromedp.Do(ctx))
	return ctx
}

// waitTerminal waits until the terminal on the page shows want.
func waitTerminal(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var text string
	for time.Now().Before(deadline) {
		var err error
		text, err = chromedp.Run(ctx, chromedp.Text(`.xterm-rows`))
		must(t, err)
		if strings.Contains(text, want) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("the terminal did not show %q within 60 s; it shows:\n%s", want, text)
}

// screenshot saves the page into docs/.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	must(t, err)
	path := filepath.Join(repoDir(), "docs", name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(fmt.Errorf("browser: %w", err))
	}
}
