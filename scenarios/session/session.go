// Package session runs a scenario on a lab: start (create the lab, record
// a baseline, seed it), the current stage's task and hints, next, grade,
// and reset. Commands and selftest share it.
package session

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"maps"
	"time"

	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/internal/readyz"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/scenarios"
	"github.com/ckat/ckat/scenarios/steps"
)

// Session is a scenario running on a lab.
type Session struct {
	Lab labs.Lab
	// State is the lab's saved progress.
	State scenarios.State
	// Source is the scenario as written; Rendered has the lab's values.
	Source   *scenarios.Scenario
	Rendered *scenarios.Scenario
	Logger   *log.Logger
}

// StartOptions say which scenario to start where.
type StartOptions struct {
	Scenario *scenarios.Scenario
	Provider labs.Provider
	// LabName defaults to the scenario's name.
	LabName string
	// Seed draws the parameters; nil draws a random seed.
	Seed      *uint64
	WaitReady time.Duration
	Logger    *log.Logger
}

// Start creates a lab for a scenario, runs the setup steps, records the
// post-setup baseline and saves the scenario state in the lab's directory.
func Start(ctx context.Context, opts StartOptions) (*Session, error) {
	sc := opts.Scenario
	name := opts.LabName
	if name == "" {
		name = sc.Metadata.Name
	}
	if opts.WaitReady == 0 {
		opts.WaitReady = readyz.LabTimeout
	}
	// Draw the parameters first: a scenario that cannot draw them makes
	// no lab.
	seed, params, err := draw(opts)
	if err != nil {
		return nil, err
	}
	lab, err := opts.Provider.Create(ctx, labs.CreateOptions{Name: name, Config: sc.Lab.KindConfig, WaitReady: opts.WaitReady, Components: sc.Lab.Components})
	if err != nil {
		return nil, err
	}
	return begin(ctx, lab, opts, seed, params)
}

// StartOn sets a scenario up on lab, a running lab that runs none yet (made
// by `ckat lab create`), as Start does on the lab it creates. opts.Provider,
// LabName and WaitReady are not used.
func StartOn(ctx context.Context, lab labs.Lab, opts StartOptions) (*Session, error) {
	seed, params, err := draw(opts)
	if err != nil {
		return nil, err
	}
	return begin(ctx, lab, opts, seed, params)
}

// draw draws the scenario's parameters from opts.Seed, or a random seed.
func draw(opts StartOptions) (uint64, scenarios.Params, error) {
	seed := randomSeed()
	if opts.Seed != nil {
		seed = *opts.Seed
	}
	params, err := opts.Scenario.GenerateParams(seed)
	return seed, params, err
}

// begin records lab's baseline, runs the setup steps and saves the state.
func begin(ctx context.Context, lab labs.Lab, opts StartOptions, seed uint64, params scenarios.Params) (*Session, error) {
	logger := opts.Logger
	if logger == nil {
		logger = log.NoOp()
	}
	sc := opts.Scenario
	first := sc.Stages[0].Name
	s := &Session{Lab: lab, Source: sc, Logger: logger, State: scenarios.State{Scenario: sc.Metadata.Name, Seed: seed, Stage: first, Params: params}}
	if err := s.render(ctx); err != nil {
		return s, err
	}
	before, err := staticPodInputs(ctx, lab.Node())
	if err != nil {
		return s, err
	}
	if err := s.setup(ctx); err != nil {
		return s, err
	}
	after, err := staticPodInputs(ctx, lab.Node())
	if err != nil {
		return s, err
	}
	logger.V(0).Infof("Recording the lab's baseline for 'ckat reset' ...")
	if err := s.saveBaseline(ctx, maps.Equal(before, after)); err != nil {
		return s, fmt.Errorf("recording the lab's baseline: %w", err)
	}
	return s, scenarios.SaveState(lab.Name(), s.State, sc.Source())
}

// Open returns the session of a lab that runs a scenario.
func Open(ctx context.Context, lab labs.Lab, logger *log.Logger) (*Session, error) {
	if logger == nil {
		logger = log.NoOp()
	}
	st, sc, err := scenarios.LoadState(lab.Name())
	if err != nil {
		return nil, err
	}
	s := &Session{Lab: lab, State: st, Source: sc, Logger: logger}
	return s, s.render(ctx)
}

// render renders the scenario with the state's parameters and the lab's
// facts. The node's IP comes from the lab's status; a lab that cannot say
// leaves it empty.
func (s *Session) render(ctx context.Context) error {
	facts := scenarios.LabFacts{Name: s.Lab.Name(), Node: s.Lab.Node().Name(), Provider: s.Lab.Provider()}
	if st, err := s.Lab.Status(ctx); err == nil {
		facts.NodeIP = st.NodeIP
	}
	r, err := s.Source.Render(s.State.Params, facts)
	if err != nil {
		return err
	}
	s.Rendered = r
	return nil
}

// Stage is the current stage, rendered.
func (s *Session) Stage() scenarios.Stage {
	return s.Rendered.Stages[s.Rendered.StageIndex(s.State.Stage)]
}

// StageNumber is the current stage's 1-based position.
func (s *Session) StageNumber() int { return s.Rendered.StageIndex(s.State.Stage) + 1 }

// Save writes the session's state.
func (s *Session) Save() error { return scenarios.SaveState(s.Lab.Name(), s.State, nil) }

func (s *Session) env(ctx context.Context) (steps.Env, error) {
	cfg, err := s.Lab.RESTConfig(ctx)
	if err != nil {
		return steps.Env{}, fmt.Errorf("reaching lab %q: %w", s.Lab.Name(), err)
	}
	return steps.Env{Node: s.Lab.Node(), RESTConfig: cfg, Logger: s.Logger}, nil
}

func (s *Session) setup(ctx context.Context) error {
	env, err := s.env(ctx)
	if err != nil {
		return err
	}
	s.Logger.V(0).Infof("Setting up scenario %s ...", s.Source.Metadata.Name)
	if err := steps.Apply(ctx, env, s.Rendered.Setup); err != nil {
		return fmt.Errorf("setting up scenario %s: %w", s.Source.Metadata.Name, err)
	}
	return nil
}

// ErrLastStage is returned by Next on the last stage.
var ErrLastStage = fmt.Errorf("this is the scenario's last stage")

// Next applies the current stage's next steps and moves to the next stage.
func (s *Session) Next(ctx context.Context) error {
	i := s.Rendered.StageIndex(s.State.Stage)
	if i == len(s.Rendered.Stages)-1 {
		return ErrLastStage
	}
	env, err := s.env(ctx)
	if err != nil {
		return err
	}
	if err := steps.Apply(ctx, env, s.Rendered.Stages[i].Next); err != nil {
		return fmt.Errorf("moving to stage %q: %w", s.Rendered.Stages[i+1].Name, err)
	}
	s.State.Stage = s.Rendered.Stages[i+1].Name
	return s.Save()
}

// NextHint returns the current stage's next hint (the last one again once
// all were shown), its 1-based number and the number of hints.
func (s *Session) NextHint() (hint string, n, total int) {
	st := s.Stage()
	total = len(st.Hints)
	if total == 0 {
		return "", 0, 0
	}
	if s.State.HintsShown == nil {
		s.State.HintsShown = map[string]int{}
	}
	n = min(s.State.HintsShown[st.Name]+1, total)
	s.State.HintsShown[st.Name] = n
	return st.Hints[n-1], n, total
}

func randomSeed() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	// Small enough to type back with --seed.
	return binary.LittleEndian.Uint64(b[:]) % 1_000_000
}
