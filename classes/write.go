package classes

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/jstemmer/go-junit-report/v2/junit"

	"github.com/ckat/ckat/grader"
	"github.com/ckat/ckat/grader/report"
)

// ReportFormats are the formats WriteReport writes.
var ReportFormats = []string{"text", "json", "csv", "junit", "html"}

// WriteReport writes rep in format (one of ReportFormats).
func WriteReport(w io.Writer, rep Report, format string) error {
	switch format {
	case "text", "":
		return writeText(w, rep)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case "csv":
		return writeCSV(w, rep)
	case "junit":
		return writeJUnit(w, rep)
	case "html":
		return writeHTML(w, rep)
	}
	return fmt.Errorf("unknown report format %q: use one of %s", format, strings.Join(ReportFormats, ", "))
}

// writeText writes a block per learner: score, time to full marks, hints,
// then a line per check with its evidence when it did not pass.
func writeText(w io.Writer, rep Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Class %s (scenario %s), %d learners\n", rep.Class, rep.Scenario, len(rep.Learners))
	for _, l := range rep.Learners {
		fmt.Fprintf(&b, "\n%s (lab %s): ", l.Learner, l.Lab)
		if l.Grades == 0 {
			fmt.Fprintf(&b, "never graded, %d hints used\n", l.HintsUsed)
			continue
		}
		full := "no full marks yet"
		if l.FullMarksAfter != nil {
			full = "full marks after " + l.FullMarksAfter.String()
		}
		fmt.Fprintf(&b, "%d/%d, %s, %d grades, %d hints used\n", l.Score, l.MaxScore, full, l.Grades, l.HintsUsed)
		for _, c := range l.Checks {
			fmt.Fprintf(&b, "  %s %s/%s  %d/%d  %s\n", mark(c.Status), report.Clean(c.Stage), report.Clean(c.Name), c.Points, c.MaxPoints, report.Clean(c.Message))
			if c.Status == grader.StatusPass {
				continue
			}
			for _, e := range c.Evidence {
				fmt.Fprintf(&b, "      %s\n", report.Clean(evidenceLine(e)))
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mark(s grader.Status) string {
	switch s {
	case grader.StatusPass:
		return "✔"
	case grader.StatusFail:
		return "✘"
	}
	return "!"
}

// evidenceLine is one piece of evidence on one line.
func evidenceLine(e grader.Evidence) string {
	s := e.Source + ": " + e.Field
	if e.Want != "" {
		s += ": want " + e.Want + ", got " + e.Got
	} else {
		s += ": got " + e.Got
	}
	return s
}

// writeCSV writes a row per learner and check (a learner never graded has
// one row with an empty check).
func writeCSV(w io.Writer, rep Report) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"class", "learner", "lab", "stage", "check", "status", "points", "max_points", "full_marks_after", "learner_score", "learner_max_score", "hints_used", "message", "evidence"})
	for _, l := range rep.Learners {
		row := func(c CheckEntry) []string {
			var ev []string
			for _, e := range c.Evidence {
				ev = append(ev, evidenceLine(e))
			}
			full := ""
			if c.FullMarksAfter != nil {
				full = c.FullMarksAfter.String()
			}
			points, maxPoints := "", ""
			if c.Name != "" {
				points, maxPoints = fmt.Sprint(c.Points), fmt.Sprint(c.MaxPoints)
			}
			return []string{rep.Class, l.Learner, l.Lab, c.Stage, c.Name, string(c.Status), points, maxPoints, full,
				fmt.Sprint(l.Score), fmt.Sprint(l.MaxScore), fmt.Sprint(l.HintsUsed), c.Message, strings.Join(ev, "; ")}
		}
		if len(l.Checks) == 0 {
			_ = cw.Write(csvSafe(row(CheckEntry{Status: "not graded"})))
		}
		for _, c := range l.Checks {
			_ = cw.Write(csvSafe(row(c)))
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a spreadsheet from running a cell as a formula: a cell
// that starts with = + - @ or a tab or carriage return gets a leading '
// (OWASP's advice on CSV injection). Evidence holds what learners wrote.
func csvSafe(row []string) []string {
	for i, s := range row {
		if s != "" && strings.ContainsAny(s[:1], "=+-@\t\r") {
			row[i] = "'" + s
		}
	}
	return row
}

// writeJUnit writes a test suite per learner and a test case per check,
// through ckat's one JUnit writer.
func writeJUnit(w io.Writer, rep Report) error {
	out := junit.Testsuites{Name: "ckat class " + rep.Class}
	for i, l := range rep.Learners {
		suite := junit.Testsuite{Name: rep.Class + "/" + l.Learner, ID: i}
		suite.AddProperty("lab", l.Lab)
		suite.AddProperty("score", fmt.Sprintf("%d/%d", l.Score, l.MaxScore))
		suite.AddProperty("hintsUsed", fmt.Sprint(l.HintsUsed))
		if l.FullMarksAfter != nil {
			suite.AddProperty("fullMarksAfter", l.FullMarksAfter.String())
		}
		if len(l.Checks) == 0 {
			suite.AddTestcase(junit.Testcase{Name: "grade", Classname: "ckat." + rep.Scenario, Skipped: &junit.Result{Message: "never graded"}})
		}
		for _, c := range l.Checks {
			tc := junit.Testcase{Name: c.Name, Classname: "ckat." + rep.Scenario + "." + c.Stage}
			r := grader.Result{Name: c.Name, Stage: c.Stage, Status: c.Status, Points: c.Points, MaxPoints: c.MaxPoints, Message: c.Message, Evidence: c.Evidence}
			switch c.Status {
			case grader.StatusPass:
				tc.SystemOut = &junit.Output{Data: fmt.Sprintf("%s (%d/%d)", c.Message, c.Points, c.MaxPoints)}
			case grader.StatusFail:
				tc.Failure = &junit.Result{Message: c.Message, Type: "fail", Data: report.Detail(r)}
			default:
				tc.Error = &junit.Result{Message: c.Message, Type: string(c.Status), Data: report.Detail(r)}
			}
			suite.AddTestcase(tc)
		}
		out.AddSuite(suite)
	}
	return report.WriteJUnit(w, out)
}
