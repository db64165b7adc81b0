package web

import (
	"bufio"
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ckat/ckat/classes"
	"github.com/ckat/ckat/grader"
)

// TestGridEvents: a grade recorded by another process (`ckat grade` on a
// class's lab) reaches the instructor's grid within 2 s.
func TestGridEvents(t *testing.T) {
	f := newFixture(t)
	teacher, _ := f.client(t, classes.InstructorPath(f.instructor))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", f.srv.URL+instructorRoot+"api/events", nil)
	resp, err := teacher.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q, want text/event-stream", ct)
	}
	events := make(chan Grid)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var g Grid
				if json.Unmarshal([]byte(data), &g) == nil {
					events <- g
				}
			}
		}
		close(events)
	}()
	first := <-events
	if len(first.Rows) != 2 || first.Rows[0].Graded || first.Rows[0].State != "dead" {
		t.Fatalf("first grid %+v, want ana and ben, ungraded, their labs dead", first)
	}
	rep := grader.Report{Scenario: "etcd-backup-restore", Lab: "c1-ana"}
	rep.Add(grader.Result{Name: "snapshot-exists", Status: grader.StatusPass, Points: 2, MaxPoints: 2})
	rep.Add(grader.Result{Name: "restored", Status: grader.StatusFail, Points: 0, MaxPoints: 3,
		Message: "ConfigMap app/settings is missing"})
	graded := time.Now()
	if _, err := f.class.RecordGrade("ana", "backup", rep); err != nil {
		t.Fatal(err)
	}
	for g := range events {
		ana := g.Rows[0]
		if !ana.Graded {
			continue
		}
		if took := time.Since(graded); took > 2*time.Second {
			t.Errorf("the grade reached the grid after %v, want within 2 s", took)
		}
		if ana.Score != 2 || ana.MaxScore != 5 || ana.Cells["snapshot-exists"] != "pass" || ana.Cells["restored"] != "fail" ||
			ana.Messages["restored"] != "ConfigMap app/settings is missing" ||
			strings.Join(g.Checks, ",") != "snapshot-exists,restored" {
			t.Errorf("grid after ana's grade: %+v, checks %v", ana, g.Checks)
		}
		return
	}
	t.Fatal("the event stream ended before ana's grade showed")
}

// TestReport: the instructor downloads the class's report in a format the
// server offers, and an unknown format is refused.
func TestReport(t *testing.T) {
	f := newFixture(t)
	teacher, _ := f.client(t, classes.InstructorPath(f.instructor))
	for _, format := range classes.ReportFormats {
		code, body := get(t, teacher, "GET", f.srv.URL+instructorRoot+"api/report?format="+format, nil)
		if code != http.StatusOK || !strings.Contains(body, "ana") || !strings.Contains(body, "ben") {
			t.Errorf("%s report: %d %q, want both learners", format, code, body)
		}
	}
	code, body := get(t, teacher, "GET", f.srv.URL+instructorRoot+"api/report?format=pdf", nil)
	if code != http.StatusBadRequest || !strings.Contains(body, `unknown report format "pdf"`) {
		t.Errorf("pdf report: %d %q, want 400 naming the format", code, body)
	}
}

// TestInstructorScriptFields: every field of a grid and its rows that the
// instructor's page reads is one the server sends, so the page never
// stops on an undefined field.
func TestInstructorScriptFields(t *testing.T) {
	script, err := fs.ReadFile(assets, "static/instructor.js")
	if err != nil {
		t.Fatal(err)
	}
	fields := func(v any) map[string]bool {
		out := map[string]bool{}
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			out[name] = true
		}
		return out
	}
	for prefix, known := range map[string]map[string]bool{"grid": fields(Grid{}), "r": fields(GridRow{})} {
		for _, m := range regexp.MustCompile(`\b`+prefix+`\.(\w+)`).FindAllStringSubmatch(string(script), -1) {
			if !known[m[1]] {
				t.Errorf("instructor.js reads %s.%s, which the grid's JSON does not have", prefix, m[1])
			}
		}
	}
}
