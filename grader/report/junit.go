package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jstemmer/go-junit-report/v2/junit"

	"github.com/ckat/ckat/grader"
)

// JUnit writes reports as JUnit XML: a testsuite per report (named after its
// scenario, with the lab and score as properties and the time grading
// took), a testcase per check with the time it took, and a failure or
// error element carrying the message, evidence and hint.
func JUnit(w io.Writer, reps ...grader.Report) error {
	out := junit.Testsuites{Name: "ckat"}
	for i, rep := range reps {
		suite := junit.Testsuite{Name: rep.Scenario, ID: i, Time: Seconds(rep.Elapsed)}
		suite.AddProperty("lab", rep.Lab)
		suite.AddProperty("score", fmt.Sprintf("%d/%d", rep.Score, rep.MaxScore))
		suite.AddProperty("passed", fmt.Sprint(rep.Passed))
		for _, c := range rep.Checks {
			tc := junit.Testcase{Name: c.Name, Classname: classname(rep, c), Time: Seconds(c.Elapsed)}
			switch c.Status {
			case grader.StatusPass:
				tc.SystemOut = &junit.Output{Data: fmt.Sprintf("%s (%d/%d)", c.Message, c.Points, c.MaxPoints)}
			case grader.StatusFail:
				tc.Failure = &junit.Result{Message: c.Message, Type: "fail", Data: Detail(c)}
			default:
				tc.Error = &junit.Result{Message: c.Message, Type: string(c.Status), Data: Detail(c)}
			}
			suite.AddTestcase(tc)
		}
		out.AddSuite(suite)
	}
	return WriteJUnit(w, out)
}

// WriteJUnit writes suites as a JUnit XML document, indented by two spaces.
// It is ckat's one JUnit writer: grade's and selftest's reports both go
// through it. Character data that XML 1.0 cannot hold (NUL, most control
// characters) becomes U+FFFD, in CDATA sections as in attributes.
func WriteJUnit(w io.Writer, suites junit.Testsuites) error {
	for i := range suites.Suites {
		s := &suites.Suites[i]
		sanitizeOutput(s.SystemOut)
		sanitizeOutput(s.SystemErr)
		for j := range s.Testcases {
			tc := &s.Testcases[j]
			for _, r := range []*junit.Result{tc.Skipped, tc.Error, tc.Failure} {
				if r != nil {
					r.Data = xmlText(r.Data)
				}
			}
			sanitizeOutput(tc.SystemOut)
			sanitizeOutput(tc.SystemErr)
		}
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(suites); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// Seconds is a duration as JUnit's time attributes spell it: "95.250".
func Seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

func sanitizeOutput(o *junit.Output) {
	if o != nil {
		o.Data = xmlText(o.Data)
	}
}

// classname groups a suite's cases as CI systems show them: scenario.stage.
func classname(rep grader.Report, c grader.Result) string {
	parts := []string{"ckat"}
	if rep.Scenario != "" {
		parts = append(parts, rep.Scenario)
	}
	if c.Stage != "" {
		parts = append(parts, c.Stage)
	}
	return strings.Join(parts, ".")
}

// Detail is the body of a failure or error: points, evidence, hint.
func Detail(c grader.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%d/%d)\n", c.Message, c.Points, c.MaxPoints)
	for _, e := range c.Evidence {
		fmt.Fprintf(&b, "%s: %s\n", e.Source, e.Field)
		if e.Want != "" {
			fmt.Fprintf(&b, "  want: %s\n", e.Want)
		}
		fmt.Fprintf(&b, "  got:  %s\n", e.Got)
	}
	if c.Hint != "" {
		fmt.Fprintf(&b, "hint: %s\n", c.Hint)
	}
	return b.String()
}

// xmlText replaces what XML 1.0 cannot hold (NUL, most control characters)
// with U+FFFD: CDATA sections, unlike attributes, are not escaped.
func xmlText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r == 0xFFFE, r == 0xFFFF, r >= 0xD800 && r <= 0xDFFF:
			return '\uFFFD'
		}
		return r
	}, s)
}
