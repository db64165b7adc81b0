package classes

import (
	"context"
	"errors"

	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/labs/providers"
	"github.com/ckat/ckat/scenarios"
)

// StateMissing is the state of a learner's lab that no longer exists.
const StateMissing labs.State = "missing"

// LearnerStatus is one row of the instructor's grid: where a learner's
// lab and work stand. It reads files only; it never reaches the lab's API.
type LearnerStatus struct {
	Learner string     `json:"learner"`
	Lab     string     `json:"lab"`
	State   labs.State `json:"state"`
	// Message explains a state other than running.
	Message string `json:"message,omitempty"`
	// Remedy is what brings the lab back; the command layer spells it.
	Remedy labs.Remedy `json:"-"`
	Frozen bool        `json:"frozen,omitempty"`
	// Stage is the current stage's name; StageNumber is 1-based, of
	// Stages.
	Stage       string        `json:"stage,omitempty"`
	StageNumber int           `json:"stageNumber,omitempty"`
	Stages      int           `json:"stages,omitempty"`
	LastGrade   *GradeSummary `json:"lastGrade,omitempty"`
	HintsUsed   int           `json:"hintsUsed"`
}

// Status returns every learner's status, in the class's order.
func (c *Class) Status(ctx context.Context, opts ...providers.Option) ([]LearnerStatus, error) {
	out := make([]LearnerStatus, 0, len(c.Learners))
	var states scenarios.StateLoader
	for _, l := range c.Learners {
		s, err := c.learnerStatus(ctx, l, &states, opts...)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (c *Class) learnerStatus(ctx context.Context, l Learner, states *scenarios.StateLoader, opts ...providers.Option) (LearnerStatus, error) {
	s := LearnerStatus{Learner: l.Name, Lab: l.Lab}
	grades, err := c.Grades(l.Name)
	if err != nil {
		return s, err
	}
	if len(grades) > 0 {
		s.LastGrade = gradeSummary(grades[len(grades)-1])
	}
	hints, err := c.Hints(l.Name)
	if err != nil {
		return s, err
	}
	s.HintsUsed = len(hints)
	lab, err := c.Lab(ctx, l.Name, opts...)
	if errors.Is(err, labs.ErrNotFound) {
		s.State, s.Message = StateMissing, "its lab was deleted"
		return s, nil
	}
	if err != nil {
		s.State, s.Message = labs.StateDead, err.Error()
		return s, nil
	}
	st, err := lab.Status(ctx)
	if err != nil {
		s.State, s.Message = labs.StateDead, err.Error()
		return s, nil
	}
	s.State, s.Message, s.Remedy = st.State, st.Message, st.Remedy
	if f, ok := lab.(labs.Freezer); ok && st.State == labs.StateRunning {
		s.Frozen, _ = f.Frozen(ctx)
	}
	if ls, sc, err := states.Load(l.Lab); err == nil {
		s.Stage, s.StageNumber, s.Stages = ls.Stage, sc.StageIndex(ls.Stage)+1, len(sc.Stages)
	}
	return s, nil
}
