package classes

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ckat/ckat/grader"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/labs/providers"
	"github.com/ckat/ckat/scenarios/session"
)

// Lab returns a learner's lab through the provider that made it.
func (c *Class) Lab(ctx context.Context, learner string, opts ...providers.Option) (labs.Lab, error) {
	l, err := c.Learner(learner)
	if err != nil {
		return nil, err
	}
	rec, err := labs.ReadRecord(l.Lab)
	if err != nil {
		return nil, fmt.Errorf("learner %s: %w", learner, err)
	}
	p, err := providers.ForRecord(rec, opts...)
	if err != nil {
		return nil, err
	}
	return p.Get(ctx, rec.Name)
}

// Session opens a learner's scenario session, thawing the lab first if it
// was frozen: what the web server grades, hints and moves on.
func (c *Class) Session(ctx context.Context, learner string, logger *log.Logger, opts ...providers.Option) (*session.Session, error) {
	lab, err := c.Lab(ctx, learner, opts...)
	if err != nil {
		return nil, err
	}
	if err := labs.Thaw(ctx, lab); err != nil {
		return nil, err
	}
	return session.Open(ctx, lab, logger)
}

// Grade grades a learner's current stage (again every second until full
// marks or wait has passed, as `ckat grade --wait`) and records the grade.
func (c *Class) Grade(ctx context.Context, learner string, wait time.Duration, opts ...providers.Option) (Grade, error) {
	s, err := c.Session(ctx, learner, nil, opts...)
	if err != nil {
		return Grade{}, err
	}
	rep, err := s.Grade(ctx, wait)
	if err != nil {
		return Grade{}, err
	}
	return c.RecordGrade(learner, s.State.Stage, rep)
}

// NextHint shows a learner the current stage's next hint, as `ckat hint`
// does, and records it. total is 0 for a stage without hints.
func (c *Class) NextHint(ctx context.Context, learner string, opts ...providers.Option) (hint string, n, total int, err error) {
	s, err := c.Session(ctx, learner, nil, opts...)
	if err != nil {
		return "", 0, 0, err
	}
	hint, n, total = s.NextHint()
	if total == 0 {
		return "", 0, 0, nil
	}
	if err := s.Save(); err != nil {
		return "", 0, 0, err
	}
	return hint, n, total, c.RecordHint(learner, s.State.Stage, n)
}

// Restart starts a learner's lab again when it is stopped or dead (its
// data is kept), and thaws it when it is frozen. It reports whether the
// lab had to be started.
func (c *Class) Restart(ctx context.Context, learner string, opts ...providers.Option) (bool, error) {
	lab, err := c.Lab(ctx, learner, opts...)
	if err != nil {
		return false, err
	}
	st, err := lab.Status(ctx)
	if err != nil {
		return false, err
	}
	if st.State == labs.StateRunning {
		return false, labs.Thaw(ctx, lab)
	}
	p, err := providers.Get(lab.Provider(), opts...)
	if err != nil {
		return false, err
	}
	if err := p.Start(ctx, lab.Name()); err != nil {
		return false, fmt.Errorf("restarting the lab of learner %s: %w", learner, err)
	}
	return true, nil
}

// ErrCannotFreeze is a lab whose provider cannot pause it.
var ErrCannotFreeze = errors.New("this lab's provider cannot freeze it")

// Freeze pauses a learner's lab while the learner is idle: it then uses no
// CPU. Anything that reaches the lab (Session, Grade, the terminal) must
// Thaw it first.
func (c *Class) Freeze(ctx context.Context, learner string, opts ...providers.Option) error {
	lab, err := c.Lab(ctx, learner, opts...)
	if err != nil {
		return err
	}
	f, ok := lab.(labs.Freezer)
	if !ok {
		return ErrCannotFreeze
	}
	return f.Freeze(ctx)
}

// Thaw resumes a learner's frozen lab; a lab that is not frozen, or
// whose provider cannot freeze, is left as it is.
func (c *Class) Thaw(ctx context.Context, learner string, opts ...providers.Option) error {
	lab, err := c.Lab(ctx, learner, opts...)
	if err != nil {
		return err
	}
	return labs.Thaw(ctx, lab)
}

// DeleteLabs deletes the labs of every learner of the class, each through
// its own provider; labs already gone are skipped. It returns the labs it
// deleted and the first error, after trying all.
func (c *Class) DeleteLabs(ctx context.Context, opts ...providers.Option) ([]string, error) {
	var deleted []string
	var first error
	for _, l := range c.Learners {
		rec, err := labs.ReadRecord(l.Lab)
		if errors.Is(err, labs.ErrNotFound) {
			continue
		}
		if err == nil {
			var p labs.Provider
			if p, err = providers.ForRecord(rec, opts...); err == nil {
				err = p.Delete(ctx, l.Lab)
			}
		}
		if err != nil {
			if first == nil {
				first = fmt.Errorf("deleting the lab of learner %s: %w", l.Name, err)
			}
			continue
		}
		deleted = append(deleted, l.Lab)
	}
	return deleted, first
}

// gradeSummary keeps a grade's score and each check's verdict, for a
// status line.
func gradeSummary(g Grade) *GradeSummary {
	s := &GradeSummary{Time: g.Time, Stage: g.Stage, Score: g.Report.Score, MaxScore: g.Report.MaxScore, Passed: g.Report.Passed}
	for _, r := range g.Report.Checks {
		s.Checks = append(s.Checks, CheckStatus{Name: r.Name, Status: r.Status, Points: r.Points, MaxPoints: r.MaxPoints, Message: r.Message})
	}
	return s
}

// GradeSummary is a grade without its evidence.
type GradeSummary struct {
	Time     time.Time     `json:"time"`
	Stage    string        `json:"stage"`
	Score    int           `json:"score"`
	MaxScore int           `json:"maxScore"`
	Passed   bool          `json:"passed"`
	Checks   []CheckStatus `json:"checks"`
}

// CheckStatus is one check's verdict in a grade.
type CheckStatus struct {
	Name      string        `json:"name"`
	Status    grader.Status `json:"status"`
	Points    int           `json:"points"`
	MaxPoints int           `json:"maxPoints"`
	// Message is the check's one-line verdict, as the learner's report
	// says it (evidence, which may be long, is left out).
	Message string `json:"message,omitempty"`
}
