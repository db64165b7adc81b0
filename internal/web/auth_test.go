package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ckat/ckat/classes"
)

// TestLinks: a learner's link opens their page and sets a cookie that the
// page works with; the instructor's link opens the grid.
func TestLinks(t *testing.T) {
	f := newFixture(t)
	ana, resp := f.client(t, classes.LearnerPath(f.tokens["ana"]))
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != learnerRoot {
		t.Fatalf("ana's link: %d at %s, want 200 at %s", resp.StatusCode, resp.Request.URL.Path, learnerRoot)
	}
	code, body := get(t, ana, "GET", f.srv.URL+learnerRoot, nil)
	if code != http.StatusOK || !strings.Contains(body, "ana · class c1 · lab c1-ana") {
		t.Errorf("ana's page: %d %q, want her name, class and lab", code, body)
	}
	teacher, resp := f.client(t, classes.InstructorPath(f.instructor))
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != instructorRoot {
		t.Fatalf("instructor's link: %d at %s", resp.StatusCode, resp.Request.URL.Path)
	}
	code, body = get(t, teacher, "GET", f.srv.URL+instructorRoot+"api/grid", nil)
	if code != http.StatusOK || !strings.Contains(body, `"learner":"ana"`) || !strings.Contains(body, `"learner":"ben"`) {
		t.Errorf("grid: %d %q, want both learners", code, body)
	}
}

// TestForbidden: a token reaches its own pages only, and a refusal says
// nothing but "forbidden".
func TestForbidden(t *testing.T) {
	f := newFixture(t)
	ben, _ := f.client(t, classes.LearnerPath(f.tokens["ben"]))
	teacher, _ := f.client(t, classes.InstructorPath(f.instructor))
	anon := &http.Client{}
	cases := []struct {
		name   string
		c      *http.Client
		method string
		path   string
		header http.Header
	}{
		{"a made-up learner token", anon, "GET", classes.LearnerPath(strings.Repeat("A", 43)), nil},
		{"a malformed token", anon, "GET", classes.LearnerPath("not-a-token"), nil},
		{"the instructor's token as a learner's", anon, "GET", classes.LearnerPath(f.instructor), nil},
		{"a learner's token as the instructor's", anon, "GET", classes.InstructorPath(f.tokens["ben"]), nil},
		{"no cookie", anon, "GET", learnerRoot, nil},
		{"a learner on the instructor's page", ben, "GET", instructorRoot, nil},
		{"a learner on the grid", ben, "GET", instructorRoot + "api/grid", nil},
		{"a learner on another's terminal", ben, "GET", instructorRoot + "api/terminal?learner=ana", nil},
		{"a learner resetting another's lab", ben, "POST", instructorRoot + "api/reset?learner=ana", nil},
		{"a learner on the report", ben, "GET", instructorRoot + "api/report", nil},
		{"the instructor grading as a learner", teacher, "POST", learnerRoot + "api/grade", nil},
		{"a grade from another site", ben, "POST", learnerRoot + "api/grade", http.Header{"Origin": {"https://evil.example"}}},
		{"the grid from another site", teacher, "GET", instructorRoot + "api/events", http.Header{"Origin": {"https://evil.example"}}},
	}
	for _, tc := range cases {
		code, body := get(t, tc.c, tc.method, f.srv.URL+tc.path, tc.header)
		if code != http.StatusForbidden || body != "forbidden\n" {
			t.Errorf("%s: %d %q, want 403 %q", tc.name, code, body, "forbidden\n")
		}
	}
}

// TestTerminalForbidden: a WebSocket to a terminal needs the right token
// and this server's Origin.
func TestTerminalForbidden(t *testing.T) {
	f := newFixture(t)
	ben, _ := f.client(t, classes.LearnerPath(f.tokens["ben"]))
	teacher, _ := f.client(t, classes.InstructorPath(f.instructor))
	for _, tc := range []struct {
		name   string
		c      *http.Client
		path   string
		origin string
	}{
		{"ben at the instructor's view of ana's terminal", ben, instructorRoot + "api/terminal?learner=ana", ""},
		{"ben's terminal opened from another site", ben, learnerRoot + "api/terminal", "https://evil.example"},
		{"the instructor's view opened from another site", teacher, instructorRoot + "api/terminal?learner=ana", "http://evil.example"},
		{"no cookie", &http.Client{}, learnerRoot + "api/terminal", ""},
	} {
		h := http.Header{}
		if tc.origin != "" {
			h.Set("Origin", tc.origin)
		}
		conn, resp, err := f.dial(t, tc.c, tc.path, h)
		if err == nil {
			conn.CloseNow()
			t.Errorf("%s: the WebSocket opened", tc.name)
			continue
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %v, want HTTP 403", tc.name, err)
		}
	}
}
