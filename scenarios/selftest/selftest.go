// Package selftest proves a scenario grades what it claims: on a fresh
// lab the learner's checks score nothing, the reference solution and each
// alternative solution score full marks, and each known mistake fails
// exactly the checks it lists.
package selftest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ckat/ckat/grader"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/scenarios"
	"github.com/ckat/ckat/scenarios/session"
	"github.com/ckat/ckat/scenarios/steps"
)

// LabPrefix starts the name of every lab selftest makes; selftest deletes
// a leftover lab of its own name before it starts.
const LabPrefix = "st-"

// Case is one assertion about a scenario.
type Case struct {
	Name     string
	Passed   bool
	Message  string
	Duration time.Duration
	// Waits says where the case's last grade spent its time: the checks
	// that took slowWait or more, slowest first, and how many times the
	// stage was graded when more than once; "" when none.
	Waits string
}

// slowWait is how long a check must take to be named in Case.Waits.
const slowWait = time.Second

// Result is a scenario's selftest.
type Result struct {
	Scenario string
	Lab      string
	Seed     uint64
	Cases    []Case
	Duration time.Duration
}

// Passed reports whether every case passed.
func (r Result) Passed() bool {
	for _, c := range r.Cases {
		if !c.Passed {
			return false
		}
	}
	return len(r.Cases) > 0
}

// Options say how to run selftest.
type Options struct {
	Provider labs.Provider
	Seed     uint64
	// Keep leaves the lab in place afterwards.
	Keep bool
	// Settle bounds how long grading waits for the expected outcome after
	// a mistake ran.
	Settle time.Duration
	Logger *log.Logger
	// CaseLabs is how many labs one scenario's cases after a reset (its
	// alternatives and mistakes) may run on at once; 0 or 1 runs them one
	// after another on the scenario's lab.
	CaseLabs int
	// slots, when set, is shared by scenarios run together: a scenario's
	// extra labs take a slot each.
	slots *labSlots
}

// Run selftests one scenario on a fresh lab. An error means selftest could
// not run at all; failed assertions are in the result.
func Run(ctx context.Context, sc *scenarios.Scenario, opts Options) (Result, error) {
	return run(ctx, sc, opts, func() {})
}

// run is Run. With opts.slots set, it requests its labs' slots (the
// scenario's own lab, and the others for its cases after a reset) before
// it calls requested, and waits for them.
func run(ctx context.Context, sc *scenarios.Scenario, opts Options, requested func()) (Result, error) {
	began := time.Now()
	logger := opts.Logger
	if logger == nil {
		logger = log.NoOp()
	}
	if opts.Settle == 0 {
		opts.Settle = 3 * time.Minute
	}
	name := labName(sc, 1)
	res := Result{Scenario: sc.Metadata.Name, Lab: name, Seed: opts.Seed}
	// Each case is rendered for the lab it runs on: the labs share their
	// parameters (the seed), not their facts (the node's address).
	var cases []func(*runner)
	for i := range sc.Alternatives {
		cases = append(cases, func(r *runner) { r.alternative(ctx, r.s.Rendered.Alternatives[i]) })
	}
	for i := range sc.Mistakes {
		cases = append(cases, func(r *runner) { r.mistake(ctx, r.s.Rendered.Mistakes[i]) })
	}
	// The other labs start on the cases after a reset as soon as they
	// are made, while this one grades the fresh lab and the reference
	// solution.
	r := runner{opts: opts, logger: logger, res: &res}
	rc := r.startResetCases(ctx, sc, cases)
	var own *slotTicket
	if opts.slots != nil {
		own = opts.slots.request(float64(len(cases)))
	}
	requested()
	if own != nil {
		if !own.wait(ctx.Done()) {
			rc.abandon()
			return res, ctx.Err()
		}
		defer opts.slots.release()
	}
	caseStart := time.Now()
	s, cleanup, err := startLab(ctx, sc, name, opts, logger)
	defer cleanup()
	if err != nil {
		rc.abandon()
		return res, err
	}
	r.s = s
	r.add("lab started and set up", nil, caseStart)
	rc.load.setSetup(time.Since(caseStart))
	r.fresh(ctx)
	r.reference(ctx)
	rc.finish(&r)
	res.Duration = time.Since(began)
	return res, nil
}

type runner struct {
	s      *session.Session
	opts   Options
	logger *log.Logger
	res    *Result
	// record keeps a case; nil appends it to res.Cases.
	record func(Case)
}

func (r *runner) add(name string, err error, began time.Time) {
	r.addGraded(name, err, began, nil, 0)
}

// addGraded records a case whose last grade was rep, after grades grades
// of the stage (nil and 0 for a case that graded nothing).
func (r *runner) addGraded(name string, err error, began time.Time, rep *grader.Report, grades int) {
	c := Case{Name: name, Passed: err == nil, Duration: time.Since(began), Waits: waits(rep, grades)}
	if err != nil {
		c.Message = err.Error()
	}
	status := "ok  "
	if err != nil {
		status = "FAIL"
	}
	waited := ""
	if c.Waits != "" {
		waited = "; " + c.Waits
	}
	r.logger.V(0).Infof("  %s %s/%s (%s%s)", status, r.res.Scenario, name, c.Duration.Round(time.Second), waited)
	if r.record != nil {
		r.record(c)
		return
	}
	r.res.Cases = append(r.res.Cases, c)
}

// fresh: right after setup, no check of the first stage passes.
func (r *runner) fresh(ctx context.Context) {
	began := time.Now()
	first := r.s.Rendered.Stages[0].Name
	rep, grades, err := r.grade(ctx, first, 0, nil)
	if err == nil && rep.Score != 0 {
		err = fmt.Errorf("a fresh lab scores %d/%d; these checks pass before any work: %s", rep.Score, rep.MaxScore, strings.Join(withStatus(rep, grader.StatusPass), ", "))
	}
	r.addGraded("fresh lab scores 0", err, began, &rep, grades)
}

// reference: each stage's solution gives full marks, stage after stage,
// at the first `ckat grade` right after it: the checks that need a
// settling cluster wait by themselves, so a learner who grades at once is
// graded right.
func (r *runner) reference(ctx context.Context) {
	for i, st := range r.s.Rendered.Stages {
		began := time.Now()
		var rep *grader.Report
		grades := 0
		err := steps.Run(ctx, r.s.Lab.Node(), st.Solution)
		if err != nil {
			err = fmt.Errorf("the reference solution failed: %w", err)
		} else {
			var got grader.Report
			got, grades, err = r.grade(ctx, st.Name, 0, nil)
			rep = &got
			if err == nil && !got.Passed {
				err = fmt.Errorf("graded right after the reference solution, it scores %d/%d: %s", got.Score, got.MaxScore, describeFailures(got))
			}
		}
		r.addGraded(fmt.Sprintf("solution of stage %s scores full marks", st.Name), err, began, rep, grades)
		if err != nil {
			return
		}
		if i < len(r.s.Rendered.Stages)-1 {
			began = time.Now()
			r.add("next to stage "+r.s.Rendered.Stages[i+1].Name, r.s.Next(ctx), began)
		}
	}
}

// alternative: after a reset, the reference solutions of earlier stages
// (or the alternative's replacements), then the alternative; like the
// reference solution, it scores full marks at the first grade.
func (r *runner) alternative(ctx context.Context, a scenarios.Alternative) {
	began := time.Now()
	name := "alternative " + a.Name + " scores full marks"
	stage, err := r.prepare(ctx, a.Stage, a.Before)
	if err == nil {
		if err = steps.Run(ctx, r.s.Lab.Node(), a.Script); err != nil {
			err = fmt.Errorf("the alternative solution failed: %w", err)
		}
	}
	var rep *grader.Report
	grades := 0
	if err == nil {
		var got grader.Report
		got, grades, err = r.grade(ctx, stage, 0, nil)
		rep = &got
		if err == nil && !got.Passed {
			err = fmt.Errorf("graded right after the alternative solution, it scores %d/%d: %s", got.Score, got.MaxScore, describeFailures(got))
		}
	}
	r.addGraded(name, err, began, rep, grades)
}

// mistake: after a reset, the reference solutions of earlier stages (or
// the mistake's replacements), then the mistake; exactly its checks fail,
// and every other check passes (see mistakeVerdict).
func (r *runner) mistake(ctx context.Context, m scenarios.Mistake) {
	began := time.Now()
	name := "mistake " + m.Name
	stage, err := r.prepare(ctx, m.Stage, m.Before)
	if err != nil {
		r.add(name, err, began)
		return
	}
	if err := steps.Run(ctx, r.s.Lab.Node(), m.Script); err != nil {
		var ee *labs.ExitError
		if !errors.As(err, &ee) {
			r.add(name, fmt.Errorf("running the mistake: %w", err), began)
			return
		}
		// A wrong solution may well fail part way; what it left is graded.
	}
	rep, grades, err := r.grade(ctx, stage, r.opts.Settle, func(rep grader.Report) bool {
		return mistakeVerdict(rep, m.Fails) == nil
	})
	if err == nil {
		err = mistakeVerdict(rep, m.Fails)
	}
	r.addGraded(name+" fails "+strings.Join(m.Fails, ", "), err, began, &rep, grades)
}

// mistakeVerdict says whether a mistake's grade proves its fails list:
// exactly those checks fail (status fail), and no check could not look
// (status error). A check that could not look says nothing of whether the
// mistake is graded wrong, so it never counts as failing and always fails
// the case, named with its message.
func mistakeVerdict(rep grader.Report, fails []string) error {
	want := slices.Clone(fails)
	sort.Strings(want)
	var problems, couldNotLook []string
	for _, c := range rep.Checks {
		if c.Status == grader.StatusError {
			couldNotLook = append(couldNotLook, fmt.Sprintf("%s: %s", c.Name, c.Message))
		}
	}
	if len(couldNotLook) > 0 {
		problems = append(problems, "could not look (status error, which proves nothing about the mistake): "+strings.Join(couldNotLook, "; "))
	}
	if got := withStatus(rep, grader.StatusFail); !slices.Equal(got, want) {
		problems = append(problems, fmt.Sprintf("want exactly [%s] to fail, got [%s]: %s", strings.Join(want, ", "), strings.Join(got, ", "), describeFailures(rep)))
	}
	if len(problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(problems, "; and "))
}

// prepare resets the lab and brings it to stage (default the last): each
// earlier stage's reference solution, or its replacement in before, then
// `ckat next`. It returns the stage's name.
func (r *runner) prepare(ctx context.Context, stage string, before map[string]string) (string, error) {
	if err := r.s.Reset(ctx); err != nil {
		return "", fmt.Errorf("resetting the lab: %w", err)
	}
	if stage == "" {
		stage = r.s.Rendered.Stages[len(r.s.Rendered.Stages)-1].Name
	}
	idx := r.s.Rendered.StageIndex(stage)
	for _, st := range r.s.Rendered.Stages[:idx] {
		script, ok := before[st.Name]
		if !ok {
			script = st.Solution
		}
		if err := steps.Run(ctx, r.s.Lab.Node(), script); err != nil {
			return "", fmt.Errorf("stage %s, run first: %w", st.Name, err)
		}
		if err := r.s.Next(ctx); err != nil {
			return "", err
		}
	}
	return stage, nil
}

// grade grades stage as Session.GradeStage does, again until done (nil:
// once) or wait has passed, and says how many times it graded.
func (r *runner) grade(ctx context.Context, stage string, wait time.Duration, done func(grader.Report) bool) (grader.Report, int, error) {
	grades := 0
	rep, err := r.s.GradeStage(ctx, stage, wait, func(rep grader.Report) bool {
		grades++
		return done == nil || done(rep)
	})
	return rep, grades, err
}

// waits names the checks of rep that took slowWait or more, slowest
// first, with their times, and how many grades there were when more than
// one: "api-server-ready 20.0s, objects-served 1.2s (graded 3 times)".
func waits(rep *grader.Report, grades int) string {
	if rep == nil {
		return ""
	}
	slow := slices.Clone(rep.Checks)
	slow = slices.DeleteFunc(slow, func(c grader.Result) bool { return c.Elapsed < slowWait })
	sort.SliceStable(slow, func(i, j int) bool { return slow[i].Elapsed > slow[j].Elapsed })
	parts := make([]string, len(slow))
	for i, c := range slow {
		parts[i] = fmt.Sprintf("%s %s", c.Name, c.Elapsed.Round(100*time.Millisecond))
	}
	out := strings.Join(parts, ", ")
	if grades > 1 {
		out = strings.TrimSpace(fmt.Sprintf("%s (graded %d times)", out, grades))
	}
	return out
}

// withStatus returns the sorted names of rep's checks with status s.
func withStatus(rep grader.Report, s grader.Status) []string {
	var out []string
	for _, c := range rep.Checks {
		if c.Status == s {
			out = append(out, c.Name)
		}
	}
	sort.Strings(out)
	return out
}

func describeFailures(rep grader.Report) string {
	var parts []string
	for _, c := range rep.Checks {
		if c.Status != grader.StatusPass {
			parts = append(parts, fmt.Sprintf("%s %s: %s", c.Name, c.Status, c.Message))
		}
	}
	return strings.Join(parts, "; ")
}
