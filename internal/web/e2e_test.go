package web

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"

	"github.com/ckat/ckat/classes"
)

// TestBrowser drives the learner's and the instructor's pages in headless
// Chromium over a class of two learners, ana and ben, on real local labs
// of etcd-backup-restore:
//
//   - the grid shows ben's lab frozen, as class create leaves it until
//     he comes, and ana's running;
//   - ana opens her link and sees her task; she types the backup command
//     into the terminal, sees etcd's "Snapshot saved", presses Grade and
//     sees ✔ for the backup's checks;
//   - the instructor, whose grid is open meanwhile, sees ana's row turn ✔
//     with her score within seconds, and her terminal in the viewer;
//   - neither page writes an error to the JavaScript console;
//   - ben's token opens neither ana's terminal, nor her page, nor the
//     instructor's: 403, and the answer names nothing of hers.
//
// With CKAT_SCREENSHOTS=1 it writes both pages to docs/learner.png and
// docs/instructor.png.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real labs and Chromium")
	}
	chromiumPath(t)
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	lc := newLiveClass(t, ctx, "cka", "etcd-backup-restore", Options{Grace: 5 * time.Second, Poll: 200 * time.Millisecond}, "ana", "ben")
	ana, err := lc.class.Learner("ana")
	if err != nil {
		t.Fatal(err)
	}
	sess, err := lc.class.Session(ctx, "ana", nil)
	if err != nil {
		t.Fatal(err)
	}
	stage := sess.Rendered.Stages[0]
	backup := backupCommand(t, stage.Solution)
	browser := newBrowser(t, ctx)

	// The instructor's grid is open before ana starts.
	teacher := newTab(t, browser, "the instructor's page")
	teacher.do("opening the instructor's link", chromedp.Navigate(lc.url+classes.InstructorPath(lc.instructor)))
	grid := `document.getElementById("grid").innerText`
	teacher.waitText("the grid's rows", 10*time.Second, grid, regexp.MustCompile(`(?s)ana\s+running.*ben\s+frozen`))

	learner := newTab(t, browser, "ana's page")
	learner.do("opening ana's link", chromedp.Navigate(lc.url+classes.LearnerPath(lc.tokens["ana"])))
	learner.waitText("ana's task", 10*time.Second, `document.getElementById("task").innerText`,
		regexp.MustCompile(`Stage 1 of 2: backup\s+Create a snapshot of the etcd instance`))
	term := terminalText("#terminal")
	learner.waitText("the shell's prompt", 20*time.Second, term, regexp.MustCompile(`(?m)^root@\S+:~#$`))
	learner.do("typing the backup command",
		chromedp.Click(chromedp.CSS("#terminal")),
		typeKeys(backup+"\r"))
	learner.waitText("etcdctl's answer", 30*time.Second, term, regexp.MustCompile(`Snapshot saved at `))
	learner.do("pressing Grade", chromedp.Click(chromedp.ID("grade")))
	report := learner.waitText("the grade", 30*time.Second, `(document.querySelector("#result .report") || {innerText: ""}).innerText`,
		regexp.MustCompile(`✔ Passed: 4/4 \(100%\)`))
	for _, check := range stage.Checks {
		if !regexp.MustCompile(`(?m)^✔ ` + regexp.QuoteMeta(check.Name) + ` \d+/\d+`).MatchString(report) {
			t.Errorf("ana's report has no ✔ for check %s:\n%s", check.Name, report)
		}
	}
	learner.screenshot("learner")

	// The grid shows ana's grade within seconds, each check's verdict as
	// its cell's tooltip; the viewer shows her terminal.
	teacher.waitText("ana's grade in the grid", 5*time.Second, grid, regexp.MustCompile(`ana\s+running\s+1/2 backup\s+4/4\s+\d+ s ago\s+0\s+✔\s+✔`))
	// Each cell: its class, its mark and its tooltip, by its column's check.
	cells := eval[map[string][]string](teacher, `Object.fromEntries(Array.from(document.querySelectorAll('#grid tr[data-learner="ana"] td.cell')).map((td, i) =>
		[document.querySelectorAll("#grid th.check")[i].textContent, [td.className, td.textContent, td.title]]))`)
	for _, check := range stage.Checks {
		if c := cells[check.Name]; len(c) != 3 || c[0] != "cell pass" || c[1] != "✔" || !strings.Contains(report, c[2]) || c[2] == "" {
			t.Errorf("grid cell of ana's check %s: %q, want a ✔ with the report's verdict as its tooltip; cells: %v", check.Name, c, cells)
		}
	}
	if eval[bool](teacher, `document.getElementById("viewer").offsetParent !== null`) {
		t.Error("the instructor's terminal viewer shows before View was pressed")
	}
	teacher.do("viewing ana's terminal", chromedp.Click(chromedp.CSS(`#grid tr[data-learner="ana"] td.actions button`)))
	view := teacher.waitText("ana's terminal in the viewer", 10*time.Second, terminalText("#viewer"), regexp.MustCompile(`Snapshot saved at `))
	// The viewer draws the screen at ana's width, as she sees it.
	typed := regexp.MustCompile(`(?m)^root@\S+:~# etcdctl .*$`).FindString(eval[string](learner, term))
	if typed == "" || !slices.Contains(strings.Split(view, "\n"), typed) {
		t.Errorf("the viewer does not show ana's line %q as she sees it; it shows:\n%s", typed, view)
	}
	teacher.waitText("the viewer's bar", 5*time.Second, `document.querySelector("#viewer .viewer-bar").innerText`,
		regexp.MustCompile(`^ana's terminal\s+connected \(read-only\)\s+Close$`))
	teacher.screenshot("instructor")
	teacher.do("closing the viewer", chromedp.Click(chromedp.ID("close")), chromedp.WaitNotVisible(chromedp.ID("viewer")))
	learner.noErrors()
	teacher.noErrors()

	// ben's token reaches nothing of ana's or the instructor's.
	backupPath := backup[strings.LastIndex(backup, " ")+1:]
	secrets := []string{ana.Lab, lc.tokens["ana"], lc.tokens["ben"], lc.instructor, stage.Task[:40], backupPath}
	for _, tc := range []struct{ name, method, path string }{
		{"ben's token as the instructor's link", "GET", classes.InstructorPath(lc.tokens["ben"])},
		{"ben at the instructor's page", "GET", instructorRoot},
		{"ben at the grid, with ana's row", "GET", instructorRoot + "api/grid"},
		{"ben at the grid's events", "GET", instructorRoot + "api/events"},
		{"ben at the class's report", "GET", instructorRoot + "api/report"},
		{"ben at ana's page by her lab's name", "GET", classes.LearnerPath(ana.Lab)},
		{"ben resetting ana's lab", "POST", instructorRoot + "api/reset?learner=ana"},
	} {
		code, body := asBen(t, lc, tc.method, tc.path)
		refused(t, tc.name, code, body, secrets)
	}
	code, page := asBen(t, lc, "GET", learnerRoot)
	if code != http.StatusOK || !strings.Contains(page, "lab cka-ben") || strings.Contains(page, ana.Lab) || strings.Contains(page, lc.tokens["ana"]) {
		t.Errorf("ben's token on the learner's page: %d, want his own page and nothing of ana's:\n%s", code, page)
	}
	wsURL := "ws" + strings.TrimPrefix(lc.url, "http") + instructorRoot + "api/terminal?learner=ana"
	conn, resp, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: benCookies(lc)})
	if err == nil {
		conn.CloseNow()
		t.Fatal("ben opened ana's terminal")
	}
	var body []byte
	if resp != nil {
		body, _ = io.ReadAll(resp.Body)
		refused(t, "ben at ana's terminal", resp.StatusCode, string(body), secrets)
	} else {
		t.Errorf("ben at ana's terminal: %v, want HTTP 403", err)
	}
	t.Logf("two labs, Chromium, two pages, ben refused: %s", time.Since(began).Round(100*time.Millisecond))
}

// backupCommand is the solution's etcdctl command on one line, as a
// learner types it.
func backupCommand(t *testing.T, solution string) string {
	t.Helper()
	cmd := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(solution), "set -e"))
	cmd = strings.Join(strings.Fields(strings.ReplaceAll(cmd, "\\\n", " ")), " ")
	if !regexp.MustCompile(`^etcdctl --endpoints=\S+ --cacert=\S+ --cert=\S+ --key=\S+ snapshot save \S+$`).MatchString(cmd) {
		t.Fatalf("the backup stage's solution is not one etcdctl snapshot save: %q", cmd)
	}
	return cmd
}

// benCookies carries ben's token in both the learner's and the
// instructor's cookie.
func benCookies(lc *liveClass) http.Header {
	tok := lc.tokens["ben"]
	return http.Header{"Cookie": {learnerCookie + "=" + tok + "; " + instructorCookie + "=" + tok}}
}

// asBen requests path with ben's cookies and returns the status and body.
func asBen(t *testing.T, lc *liveClass, method, path string) (int, string) {
	t.Helper()
	return get(t, http.DefaultClient, method, lc.url+path, benCookies(lc))
}

// refused fails the test unless the answer is a 403 that names none of
// secrets.
func refused(t *testing.T, what string, code int, body string, secrets []string) {
	t.Helper()
	if code != http.StatusForbidden {
		t.Errorf("%s: HTTP %d, want 403; body %q", what, code, body)
	}
	for _, s := range secrets {
		if strings.Contains(body, s) {
			t.Errorf("%s: the answer %q holds %q", what, body, s)
		}
	}
}
