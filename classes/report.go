package classes

import (
	"time"

	"github.com/ckat/ckat/grader"
)

// Report is a class's record after (or during) the class: per learner and
// check, the latest verdict with its evidence, how long the learner took
// to first full marks, and the hints they used.
type Report struct {
	Class     string          `json:"class"`
	Scenario  string          `json:"scenario"`
	Generated time.Time       `json:"generated"`
	Learners  []LearnerReport `json:"learners"`
}

// LearnerReport is one learner's part of a Report.
type LearnerReport struct {
	Learner string `json:"learner"`
	Lab     string `json:"lab"`
	// Score and MaxScore add up each graded stage's latest grade.
	Score    int `json:"score"`
	MaxScore int `json:"maxScore"`
	Grades   int `json:"grades"`
	// LastGrade is zero for a learner who never graded.
	LastGrade time.Time `json:"lastGrade,omitzero"`
	// FullMarksAfter is the time from the lab's setup to the first grade
	// of the last graded stage with full marks; nil when none had.
	FullMarksAfter *Duration    `json:"fullMarksAfter,omitempty"`
	HintsUsed      int          `json:"hintsUsed"`
	Checks         []CheckEntry `json:"checks"`
}

// CheckEntry is one check of a learner: its latest verdict and evidence,
// and the time to its first full points.
type CheckEntry struct {
	Stage     string            `json:"stage"`
	Name      string            `json:"name"`
	Status    grader.Status     `json:"status"`
	Points    int               `json:"points"`
	MaxPoints int               `json:"maxPoints"`
	Message   string            `json:"message"`
	Evidence  []grader.Evidence `json:"evidence,omitempty"`
	// FullMarksAfter is the time from the lab's setup to the first grade
	// that gave this check full points; nil when none did.
	FullMarksAfter *Duration `json:"fullMarksAfter,omitempty"`
}

// Duration is a time.Duration that JSON spells as Go does ("4m12s").
type Duration time.Duration

// MarshalText spells d as time.Duration.String, rounded to the second.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(time.Duration(d).Round(time.Second).String()), nil
}

// UnmarshalText reads what MarshalText wrote.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	*d = Duration(v)
	return err
}

// String is the duration rounded to the second.
func (d Duration) String() string { return time.Duration(d).Round(time.Second).String() }

// BuildReport gathers the class's report from the grades and hints it
// recorded; it does not reach any lab.
func (c *Class) BuildReport() (Report, error) {
	rep := Report{Class: c.Name, Scenario: c.Scenario, Generated: time.Now().UTC(), Learners: []LearnerReport{}}
	for _, l := range c.Learners {
		grades, err := c.Grades(l.Name)
		if err != nil {
			return rep, err
		}
		hints, err := c.Hints(l.Name)
		if err != nil {
			return rep, err
		}
		rep.Learners = append(rep.Learners, learnerReport(l, grades, len(hints)))
	}
	return rep, nil
}

func learnerReport(l Learner, grades []Grade, hints int) LearnerReport {
	lr := LearnerReport{Learner: l.Name, Lab: l.Lab, Grades: len(grades), HintsUsed: hints, Checks: []CheckEntry{}}
	since := func(t time.Time) *Duration {
		d := Duration(max(t.Sub(l.Ready), 0))
		return &d
	}
	type key struct{ stage, check string }
	latest := map[string]Grade{}
	var stages []string
	firstFull := map[key]time.Time{}
	stageFull := map[string]time.Time{}
	for _, g := range grades {
		if _, seen := latest[g.Stage]; !seen {
			stages = append(stages, g.Stage)
		}
		latest[g.Stage] = g
		lr.LastGrade = g.Time
		if g.Report.Passed && len(g.Report.Checks) > 0 && stageFull[g.Stage].IsZero() {
			stageFull[g.Stage] = g.Time
		}
		for _, r := range g.Report.Checks {
			k := key{g.Stage, r.Name}
			if r.Points == r.MaxPoints && r.Status == grader.StatusPass && firstFull[k].IsZero() {
				firstFull[k] = g.Time
			}
		}
	}
	for _, st := range stages {
		g := latest[st]
		lr.Score += g.Report.Score
		lr.MaxScore += g.Report.MaxScore
		if t := stageFull[st]; !t.IsZero() {
			lr.FullMarksAfter = since(t)
		}
		for _, r := range g.Report.Checks {
			e := CheckEntry{Stage: st, Name: r.Name, Status: r.Status, Points: r.Points, MaxPoints: r.MaxPoints, Message: r.Message, Evidence: r.Evidence}
			if t := firstFull[key{st, r.Name}]; !t.IsZero() {
				e.FullMarksAfter = since(t)
			}
			lr.Checks = append(lr.Checks, e)
		}
	}
	return lr
}
