package web

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/ckat/ckat/classes"
	"github.com/ckat/ckat/scenarios"
	"github.com/ckat/ckat/scenarios/session"
)

// TestPagesIcon: both pages name their icon, which the server serves, so
// a browser asks for no /favicon.ico (a 404 in the page's console).
func TestPagesIcon(t *testing.T) {
	f := newFixture(t)
	icon := regexp.MustCompile(`<link rel="icon" href="([^"]+)"`)
	for who, link := range map[string]string{
		"ana's page":            classes.LearnerPath(f.tokens["ana"]),
		"the instructor's page": classes.InstructorPath(f.instructor),
	} {
		c, resp := f.client(t, link)
		code, page := get(t, c, "GET", resp.Request.URL.String(), nil)
		m := icon.FindStringSubmatch(page)
		if code != http.StatusOK || m == nil {
			t.Errorf("%s: %d, and no icon in %q", who, code, page)
			continue
		}
		resp, err := http.Get(f.srv.URL + m[1])
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "image/svg+xml") {
			t.Errorf("%s's icon %s: %d %s, want 200 image/svg+xml", who, m[1], resp.StatusCode, ct)
		}
	}
}

// TestStageTask: the page shows a stage's task as the scenario words it,
// under its heading, and not the command line's header and guide lines.
func TestStageTask(t *testing.T) {
	sc, err := scenarios.Get("etcd-backup-restore", "")
	if err != nil {
		t.Fatal(err)
	}
	sess := &session.Session{Source: sc, Rendered: sc, State: scenarios.State{Stage: "restore"}}
	var b strings.Builder
	if err := templates.ExecuteTemplate(&b, "task.html", map[string]any{"Stage": stageOf(sess)}); err != nil {
		t.Fatal(err)
	}
	want := "<h2>Stage 2 of 2: restore</h2>\n\n<pre class=\"task\">Someone deleted objects in namespace"
	if got := strings.TrimSpace(b.String()); !strings.HasPrefix(got, want) || strings.Contains(got, "Guide:") || strings.Contains(got, "Scenario ") {
		t.Errorf("the task's fragment:\n%s\nwant it to start %q, without the command line's lines", got, want)
	}
}
