package selftest

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/jstemmer/go-junit-report/v2/junit"

	"github.com/ckat/ckat/grader/report"
)

// WriteText prints results as a list of cases with their times and their
// slow checks, the slowest cases, and a summary line.
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
			if c.Waits != "" {
				fmt.Fprintf(w, "       slow checks: %s\n", c.Waits)
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

// writeSlowest lists the n slowest cases of all scenarios, slowest first,
// each with its slow checks.
func writeSlowest(w io.Writer, results []Result, n int) {
	type timed struct {
		name string
		d    time.Duration
	}
	var all []timed
	for _, r := range results {
		for _, c := range r.Cases {
			name := r.Scenario + "/" + c.Name
			if c.Waits != "" {
				name += " [" + c.Waits + "]"
			}
			all = append(all, timed{name, c.Duration})
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

// WriteJUnit prints results as JUnit XML through ckat's one JUnit writer
// (report.WriteJUnit): a suite per scenario, a case per assertion, with
// their times and, as its output, a case's slow checks.
func WriteJUnit(w io.Writer, results []Result, total time.Duration) error {
	out := junit.Testsuites{Name: "ckat selftest", Time: report.Seconds(total)}
	for i, r := range results {
		s := junit.Testsuite{Name: "selftest/" + r.Scenario, ID: i, Time: report.Seconds(r.Duration)}
		s.AddProperty("lab", r.Lab)
		s.AddProperty("seed", fmt.Sprint(r.Seed))
		for _, c := range r.Cases {
			tc := junit.Testcase{Name: c.Name, Classname: "selftest." + r.Scenario, Time: report.Seconds(c.Duration)}
			if c.Waits != "" {
				tc.SystemOut = &junit.Output{Data: "slow checks: " + c.Waits}
			}
			if !c.Passed {
				tc.Failure = &junit.Result{Message: c.Message, Data: c.Message}
			}
			s.AddTestcase(tc)
		}
		out.AddSuite(s)
	}
	return report.WriteJUnit(w, out)
}
