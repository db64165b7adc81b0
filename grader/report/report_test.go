package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ckat/ckat/grader"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// sampleReport is a graded lab with a pass, a fail with evidence (one row
// an observation, with no want) and hint, and an error.
func sampleReport() grader.Report {
	rep := grader.Report{Scenario: "etcd-backup-restore", Lab: "lab1"}
	rep.Add(grader.Result{Name: "snapshot-saved", Stage: "restore", Status: grader.StatusPass, Points: 2, MaxPoints: 2,
		Message:  "/opt/etcd-backup.db is a valid etcd snapshot (revision 412, 318 keys)",
		Evidence: []grader.Evidence{{Source: "node:/opt/etcd-backup.db", Field: "sha256 trailer", Want: "matches", Got: "matches"}}})
	rep.Add(grader.Result{Name: "etcd-data-volume", Stage: "restore", Status: grader.StatusFail, Points: 0, MaxPoints: 1,
		Message: "only --data-dir changed: /var/lib/etcd-from-backup is outside every volumeMount (volume etcd-data is still mounted at /var/lib/etcd), so etcd writes to the container's own filesystem and starts empty",
		Evidence: []grader.Evidence{
			{Source: "/etc/kubernetes/manifests/etcd.yaml", Field: "spec.containers[etcd] --data-dir", Want: "a path under a hostPath volumeMount", Got: "/var/lib/etcd-from-backup"},
			{Source: "/etc/kubernetes/manifests/etcd.yaml", Field: "host path of etcd's data", Want: "/var/lib/etcd-from-backup", Got: "none: the container's own filesystem"},
			{Source: "/etc/kubernetes/manifests/etcd.yaml", Field: "volume etcd-data hostPath", Got: "/var/lib/etcd"}, // an observation: no want
		},
		Hint: "Point the etcd-data volume's hostPath at the restored directory; --data-dir can stay /var/lib/etcd."})
	rep.Add(grader.Result{Name: "objects-restored", Stage: "restore", Status: grader.StatusError, Points: 0, MaxPoints: 1,
		Message: `could not look: configmap default/app-config: Get "https://127.0.0.1:6443/api/v1/namespaces/default/configmaps/app-config": dial tcp 127.0.0.1:6443: connect: connection refused`,
		Hint:    "Wait for the API server, then grade again."})
	return rep
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./grader/report -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestText(t *testing.T) {
	for _, color := range []bool{false, true} {
		var b bytes.Buffer
		if err := Text(&b, sampleReport(), color); err != nil {
			t.Fatal(err)
		}
		name := "report.txt"
		if color {
			name = "report-color.txt"
		}
		golden(t, name, b.Bytes())
		if has := strings.Contains(b.String(), "\x1b["); has != color {
			t.Errorf("color=%v: output has ANSI escapes: %v", color, has)
		}
	}
}

func TestTextKeepsLinesFromLabValues(t *testing.T) {
	rep := grader.Report{Scenario: "s", Lab: "l"}
	rep.Add(grader.Result{Name: "c", Status: grader.StatusFail, MaxPoints: 1, Message: "bad\nline\x1b[2J",
		Evidence: []grader.Evidence{{Source: "f", Field: "x", Want: "a", Got: "b\r\nc"}}})
	var b bytes.Buffer
	if err := Text(&b, rep, false); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "\x1b") || strings.Contains(b.String(), "\r") {
		t.Errorf("control characters from a lab reached the terminal: %q", b.String())
	}
	if !strings.Contains(b.String(), "✘ c  0/1  bad line\uFFFD[2J\n") {
		t.Errorf("message not kept on its line: %q", b.String())
	}
}

func TestJSON(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.json", b.Bytes())

	var doc struct {
		Scenario, Lab   string
		Score, MaxScore int
		Passed          bool
		Checks          []map[string]json.RawMessage
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Score != 2 || doc.MaxScore != 4 || doc.Passed || len(doc.Checks) != 3 {
		t.Errorf("decoded %+v, want score 2/4, not passed, 3 checks", doc)
	}
	keys := []string{"name", "stage", "status", "points", "maxPoints", "message", "evidence", "hint"}
	for _, c := range doc.Checks {
		if len(c) != len(keys) {
			t.Errorf("check has keys %v, want exactly %v", c, keys)
		}
		for _, k := range keys {
			if _, ok := c[k]; !ok {
				t.Errorf("check %s lacks key %q", c["name"], k)
			}
		}
	}
	if string(doc.Checks[2]["evidence"]) != "[]" {
		t.Errorf("a check without evidence has evidence %s, want []", doc.Checks[2]["evidence"])
	}
}

func TestJUnit(t *testing.T) {
	first := sampleReport()
	first.Elapsed = 2500 * time.Millisecond
	second := grader.Report{Scenario: "api-server-down", Lab: "lab2", Elapsed: 40 * time.Millisecond}
	second.Add(grader.Result{Name: "api-ready", Status: grader.StatusPass, Points: 1, MaxPoints: 1, Message: "the API server is ready", Elapsed: 1250 * time.Millisecond})
	var b bytes.Buffer
	if err := JUnit(&b, first, second); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.xml", b.Bytes())

	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Tests int    `xml:"tests,attr"`
			Time  string `xml:"time,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Time    string `xml:"time,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
				Error *struct {
					Message string `xml:"message,attr"`
				} `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("not valid XML: %v", err)
	}
	if doc.Tests != 4 || doc.Failures != 1 || doc.Errors != 1 || len(doc.Suites) != 2 || doc.Suites[1].Name != "api-server-down" {
		t.Fatalf("decoded %+v, want 4 tests, 1 failure, 1 error in 2 suites", doc)
	}
	if doc.Suites[0].Time != "2.500" || doc.Suites[1].Time != "0.040" {
		t.Errorf("suite times %q and %q, want how long each grading took: 2.500 and 0.040", doc.Suites[0].Time, doc.Suites[1].Time)
	}
	if got := doc.Suites[1].Cases[0].Time; got != "1.250" {
		t.Errorf("case time %q, want how long the check took: 1.250", got)
	}
	fail := doc.Suites[0].Cases[1].Failure
	if fail == nil || !strings.HasPrefix(fail.Message, "only --data-dir changed") ||
		!strings.Contains(fail.Text, "want: /var/lib/etcd-from-backup\n  got:  none: the container's own filesystem") {
		t.Errorf("failure element = %+v, want the message and the evidence", fail)
	}
	if e := doc.Suites[0].Cases[2].Error; e == nil || !strings.Contains(e.Message, "connection refused") {
		t.Errorf("error element = %+v, want the could-not-look message", e)
	}
}

func TestJUnitInvalidXMLCharacters(t *testing.T) {
	rep := grader.Report{Scenario: "s<&>", Lab: "l"}
	rep.Add(grader.Result{Name: "c\"", Status: grader.StatusFail, MaxPoints: 1, Message: "nul\x00 and esc\x1b here",
		Evidence: []grader.Evidence{{Got: "]]> <b>"}}})
	var b bytes.Buffer
	if err := JUnit(&b, rep); err != nil {
		t.Fatal(err)
	}
	var v any
	if err := xml.Unmarshal(b.Bytes(), &v); err != nil {
		t.Errorf("not valid XML: %v\n%s", err, b.String())
	}
}
