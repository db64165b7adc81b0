// Package grader checks a learner's work on a lab and reports the verdict
// with its evidence. It sees a lab only through labs.Node (files and
// commands on the node) and a REST config, so every check runs unchanged on
// every provider.
package grader

import "time"

// Status is a check's verdict.
type Status string

// Check statuses. StatusError means the grader could not look (a refused
// connection, a permission it lacks); it never means the answer is wrong.
const (
	StatusPass  Status = "pass"
	StatusFail  Status = "fail"
	StatusError Status = "error"
)

// Evidence is one observation behind a verdict: where it was read, what was
// looked at, what the task wants and what was found.
type Evidence struct {
	Source string `json:"source"`
	Field  string `json:"field"`
	Want   string `json:"want"`
	Got    string `json:"got"`
}

// Result is the outcome of one check.
type Result struct {
	Name      string     `json:"name"`
	Stage     string     `json:"stage,omitempty"`
	Status    Status     `json:"status"`
	Points    int        `json:"points"`
	MaxPoints int        `json:"maxPoints"`
	Message   string     `json:"message"`
	Evidence  []Evidence `json:"evidence,omitempty"`
	// Hint is shown when the check does not pass. A check sets it for a
	// cause it found; otherwise the spec's hint is used.
	Hint string `json:"hint,omitempty"`
	// Elapsed is how long the check took, its own waits included; Run
	// sets it, and the JUnit report gives it as the case's time.
	Elapsed time.Duration `json:"-"`
}

// Report is a graded lab: every check's result and the score.
type Report struct {
	Scenario string   `json:"scenario"`
	Lab      string   `json:"lab"`
	Score    int      `json:"score"`
	MaxScore int      `json:"maxScore"`
	Passed   bool     `json:"passed"`
	Checks   []Result `json:"checks"`
	// Elapsed is how long grading took, waits included; the JUnit report
	// gives it as the suite's time.
	Elapsed time.Duration `json:"-"`
}

// Add appends r and updates the score.
func (rep *Report) Add(r Result) {
	rep.Checks = append(rep.Checks, r)
	rep.Score += r.Points
	rep.MaxScore += r.MaxPoints
	rep.Passed = rep.Score == rep.MaxScore
}
