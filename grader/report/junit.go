package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/ckat/ckat/grader"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

// JUnit writes reports as JUnit XML: a testsuite per report (named after its
// scenario, with the lab and score as properties), a testcase per check, and
// a failure or error element carrying the message, evidence and hint.
func JUnit(w io.Writer, reps ...grader.Report) error {
	out := junitSuites{Name: "ckat"}
	for _, rep := range reps {
		suite := junitSuite{Name: rep.Scenario, Tests: len(rep.Checks), Properties: []junitProperty{
			{Name: "lab", Value: rep.Lab},
			{Name: "score", Value: fmt.Sprintf("%d/%d", rep.Score, rep.MaxScore)},
			{Name: "passed", Value: fmt.Sprint(rep.Passed)},
		}}
		for _, c := range rep.Checks {
			tc := junitCase{Name: c.Name, Classname: classname(rep, c)}
			detail := detailText(c)
			switch c.Status {
			case grader.StatusPass:
				tc.SystemOut = fmt.Sprintf("%s (%d/%d)", c.Message, c.Points, c.MaxPoints)
			case grader.StatusFail:
				suite.Failures++
				tc.Failure = &junitProblem{Message: c.Message, Type: "fail", Text: xmlText(detail)}
			default:
				suite.Errors++
				tc.Error = &junitProblem{Message: c.Message, Type: string(c.Status), Text: xmlText(detail)}
			}
			suite.Cases = append(suite.Cases, tc)
		}
		out.Tests += suite.Tests
		out.Failures += suite.Failures
		out.Errors += suite.Errors
		out.Suites = append(out.Suites, suite)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
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

// detailText is the body of a failure or error: points, evidence, hint.
func detailText(c grader.Result) string {
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
