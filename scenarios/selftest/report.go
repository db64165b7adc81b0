package selftest

import (
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"time"
)

// WriteText prints results as a list of cases with their times and a
// summary line.
func WriteText(w io.Writer, results []Result, total time.Duration) {
	failed := 0
	for _, r := range results {
		fmt.Fprintf(w, "%s (lab %s, seed %d, %s)\n", r.Scenario, r.Lab, r.Seed, r.Duration.Round(time.Second))
		for _, c := range r.Cases {
			status := "ok  "
			if !c.Passed {
				status = "FAIL"
				failed++
			}
			fmt.Fprintf(w, "  %s %-60s %6s\n", status, c.Name, c.Duration.Round(time.Second))
			if c.Message != "" {
				fmt.Fprintf(w, "       %s\n", c.Message)
			}
		}
	}
	verdict := "PASS"
	if failed > 0 {
		verdict = fmt.Sprintf("FAIL (%d failed)", failed)
	}
	writeSlowest(w, results, slowestShown)
	fmt.Fprintf(w, "%s: %d scenario(s) in %s\n", verdict, len(results), total.Round(time.Second))
}

// slowestShown is how many of the slowest cases WriteText lists.
const slowestShown = 5

// writeSlowest lists the n slowest cases of all scenarios, slowest first.
func writeSlowest(w io.Writer, results []Result, n int) {
	type timed struct {
		name string
		d    time.Duration
	}
	var all []timed
	for _, r := range results {
		for _, c := range r.Cases {
			all = append(all, timed{r.Scenario + "/" + c.Name, c.Duration})
		}
	}
	if len(all) == 0 {
		return
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].d > all[j].d })
	fmt.Fprintf(w, "slowest cases:\n")
	for _, t := range all[:min(n, len(all))] {
		fmt.Fprintf(w, "  %6s %s\n", t.d.Round(time.Second), t.name)
	}
}

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Tests   int          `xml:"tests,attr"`
	Fails   int          `xml:"failures,attr"`
	Time    string       `xml:"time,attr"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name  string      `xml:"name,attr"`
	Tests int         `xml:"tests,attr"`
	Fails int         `xml:"failures,attr"`
	Time  string      `xml:"time,attr"`
	Cases []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit prints results as JUnit XML: a suite per scenario, a case per
// assertion.
func WriteJUnit(w io.Writer, results []Result, total time.Duration) error {
	out := junitSuites{Time: secs(total)}
	for _, r := range results {
		s := junitSuite{Name: "selftest/" + r.Scenario, Time: secs(r.Duration)}
		for _, c := range r.Cases {
			jc := junitCase{Name: c.Name, Classname: "selftest." + r.Scenario, Time: secs(c.Duration)}
			if !c.Passed {
				jc.Failure = &junitFailure{Message: c.Message, Text: c.Message}
				s.Fails++
			}
			s.Cases = append(s.Cases, jc)
			s.Tests++
		}
		out.Tests += s.Tests
		out.Fails += s.Fails
		out.Suites = append(out.Suites, s)
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

func secs(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }
