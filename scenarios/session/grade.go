package session

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ckat/ckat/grader"
	"github.com/ckat/ckat/scenarios"
)

// regradeInterval is how long GradeStage waits between two grades: a
// grade is a few reads of files and the API, and checks that wait for a
// settling cluster wait by themselves.
const regradeInterval = time.Second

// Grade runs the current stage's checks. With wait > 0 it grades again
// every second until the score is full or wait has passed, for a
// cluster still settling after a restore.
func (s *Session) Grade(ctx context.Context, wait time.Duration) (grader.Report, error) {
	return s.GradeStage(ctx, s.State.Stage, wait, func(r grader.Report) bool { return r.Passed })
}

// GradeStage grades the named stage until done says the report is final or
// wait has passed.
func (s *Session) GradeStage(ctx context.Context, stage string, wait time.Duration, done func(grader.Report) bool) (grader.Report, error) {
	i := s.Rendered.StageIndex(stage)
	if i < 0 {
		return grader.Report{}, fmt.Errorf("no stage %q", stage)
	}
	cfg, err := s.Lab.RESTConfig(ctx)
	if err != nil {
		return grader.Report{}, fmt.Errorf("reaching lab %q: %w", s.Lab.Name(), err)
	}
	target := grader.Target{Lab: s.Lab.Name(), Node: s.Lab.Node(), RESTConfig: cfg}
	began := time.Now()
	deadline := began.Add(wait)
	for {
		rep := Evaluate(ctx, target, s.Source.Metadata.Name, s.Rendered.Stages[i])
		rep.Elapsed = time.Since(began)
		if done(rep) || time.Now().After(deadline) || ctx.Err() != nil {
			return rep, nil
		}
		select {
		case <-ctx.Done():
			return rep, nil
		case <-time.After(regradeInterval):
		}
	}
}

// Evaluate runs a stage's checks once and applies their requirements: a
// check whose required checks did not pass scores nothing.
func Evaluate(ctx context.Context, t grader.Target, scenario string, st scenarios.Stage) grader.Report {
	specs := make([]grader.CheckSpec, len(st.Checks))
	for i, c := range st.Checks {
		specs[i] = c.CheckSpec
	}
	results := grader.Run(ctx, t, st.Name, specs)
	passed := map[string]bool{}
	for _, r := range results {
		passed[r.Name] = r.Status == grader.StatusPass
	}
	rep := grader.Report{Scenario: scenario, Lab: t.Lab}
	for i, r := range results {
		var missing []string
		for _, req := range st.Checks[i].Requires {
			if !passed[req] {
				missing = append(missing, req)
			}
		}
		if len(missing) > 0 && r.Status == grader.StatusPass {
			r.Status = grader.StatusFail
			r.Points = 0
			r.Hint = st.Checks[i].Hint
			r.Message = fmt.Sprintf("counts only once %s pass%s (%s)", strings.Join(missing, " and "), plural(len(missing)), r.Message)
		}
		rep.Add(r)
	}
	if len(rep.Checks) == 0 {
		rep.Passed = false
	}
	return rep
}

func plural(n int) string {
	if n == 1 {
		return "es"
	}
	return ""
}
