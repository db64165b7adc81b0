package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/ckat/ckat/cmd/ckat/app/advice"
	"github.com/ckat/ckat/cmd/ckat/app/lab"
	"github.com/ckat/ckat/grader"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs/providers"
	"github.com/ckat/ckat/scenarios/session"
)

// Actions are what the pages do to a lab. LabActions is the real one;
// tests stand in their own.
type Actions interface {
	// Task is the lab's current stage and its task as `ckat task` prints it.
	Task(ctx context.Context, lab string) (Stage, error)
	// Grade grades the current stage as `ckat grade` does.
	Grade(ctx context.Context, lab string) (Stage, grader.Report, error)
	// Hint shows the stage's next hint as `ckat hint` does: its text,
	// number and the stage's number of hints (0: the stage has none).
	Hint(ctx context.Context, lab string) (stage Stage, text string, n, total int, err error)
	// Next goes on to the next stage as `ckat next` does.
	Next(ctx context.Context, lab string) (Stage, error)
	// Reset starts the lab again if it is not running, and starts its
	// scenario over, as `ckat reset` does.
	Reset(ctx context.Context, lab string) error
	// State is the lab's life state (running, stopped, dead).
	State(ctx context.Context, lab string) (string, error)
}

// Stage is where a lab's scenario is.
type Stage struct {
	Name   string
	Number int
	Of     int
	// Task is the stage's task as `ckat task` prints it.
	Task string
}

// ErrLastStage is Next on a scenario's last stage.
var ErrLastStage = session.ErrLastStage

// LabActions act on labs through the scenario sessions the commands use.
type LabActions struct {
	Logger *log.Logger
}

func (a LabActions) open(ctx context.Context, name string) (*session.Session, error) {
	if name == "" {
		// An empty name would mean $CKAT_LAB or the only lab.
		return nil, errors.New("no lab named")
	}
	s, err := session.OpenLab(ctx, name, a.Logger)
	if err != nil {
		return nil, fmt.Errorf("opening lab %s: %w", name, err)
	}
	return s, nil
}

func stageOf(s *session.Session) Stage {
	var b bytes.Buffer
	advice.WriteTask(&b, s)
	return Stage{Name: s.State.Stage, Number: s.StageNumber(), Of: len(s.Rendered.Stages), Task: b.String()}
}

// Task implements Actions.
func (a LabActions) Task(ctx context.Context, name string) (Stage, error) {
	s, err := a.open(ctx, name)
	if err != nil {
		return Stage{}, err
	}
	return stageOf(s), nil
}

// Grade implements Actions.
func (a LabActions) Grade(ctx context.Context, name string) (Stage, grader.Report, error) {
	s, err := a.open(ctx, name)
	if err != nil {
		return Stage{}, grader.Report{}, err
	}
	rep, err := s.Grade(ctx, 0)
	return stageOf(s), rep, err
}

// Hint implements Actions.
func (a LabActions) Hint(ctx context.Context, name string) (Stage, string, int, int, error) {
	s, err := a.open(ctx, name)
	if err != nil {
		return Stage{}, "", 0, 0, err
	}
	text, n, total := s.NextHint()
	if total > 0 {
		if err := s.Save(); err != nil {
			return Stage{}, "", 0, 0, err
		}
	}
	return stageOf(s), text, n, total, nil
}

// Next implements Actions.
func (a LabActions) Next(ctx context.Context, name string) (Stage, error) {
	s, err := a.open(ctx, name)
	if err != nil {
		return Stage{}, err
	}
	if err := s.Next(ctx); err != nil {
		if errors.Is(err, session.ErrLastStage) {
			return stageOf(s), err
		}
		return Stage{}, err
	}
	return stageOf(s), nil
}

// Reset implements Actions.
func (a LabActions) Reset(ctx context.Context, name string) error {
	s, err := a.open(ctx, name)
	if err != nil {
		return err
	}
	if err := lab.EnsureRunning(ctx, s.Lab, a.Logger); err != nil {
		return fmt.Errorf("starting lab %s: %w", name, err)
	}
	if err := s.Reset(ctx); err != nil {
		return fmt.Errorf("resetting lab %s: %w", name, err)
	}
	return nil
}

// State implements Actions.
func (a LabActions) State(ctx context.Context, name string) (string, error) {
	if name == "" {
		return "", errors.New("no lab named")
	}
	l, err := providers.Open(ctx, name, providers.WithLogger(a.Logger))
	if err != nil {
		return "", err
	}
	st, err := l.Status(ctx)
	if err != nil {
		return "", err
	}
	return string(st.State), nil
}
