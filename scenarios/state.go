package scenarios

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ckat/ckat/internal/atomicfile"
	"github.com/ckat/ckat/labs"
)

// State is a lab's scenario progress, saved as scenario.json in the lab's
// directory; the scenario file it was started from is saved beside it as
// scenario.yaml, so a lab keeps working whatever --scenario-dir says later.
type State struct {
	Scenario string `json:"scenario"`
	Seed     uint64 `json:"seed"`
	// Stage is the name of the current stage.
	Stage  string `json:"stage"`
	Params Params `json:"params"`
	// HintsShown counts, per stage, the hints `ckat hint` has shown.
	HintsShown map[string]int `json:"hintsShown,omitempty"`
}

const (
	stateFile  = "scenario.json"
	sourceFile = "scenario.yaml"
)

// SaveState writes st (and, when source is not nil, the scenario file) in
// the lab's directory.
func SaveState(lab string, st State, source []byte) error {
	dir, err := labs.Dir(lab)
	if err != nil {
		return err
	}
	if source != nil {
		if err := atomicfile.WriteFile(filepath.Join(dir, sourceFile), source, 0o644); err != nil {
			return fmt.Errorf("saving the lab's scenario: %w", err)
		}
	}
	data, _ := json.MarshalIndent(st, "", "  ")
	if err := atomicfile.WriteFile(filepath.Join(dir, stateFile), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("saving the lab's scenario state: %w", err)
	}
	return nil
}

// ErrNoScenario is returned for a lab made without a scenario.
var ErrNoScenario = errors.New("no scenario")

// LoadState reads a lab's scenario state and the scenario it was started
// from.
func LoadState(lab string) (State, *Scenario, error) {
	return new(StateLoader).Load(lab)
}

// StateLoader loads labs' scenario states as LoadState does, and parses
// each distinct scenario source once: the labs of a class, whose status
// the instructor's grid reads every time one of them changes, share one.
// The scenarios it returns are shared: read them, do not change them.
type StateLoader struct {
	parsed map[string]*Scenario // by source
}

// Load is LoadState through the loader's parsed scenarios.
func (l *StateLoader) Load(lab string) (State, *Scenario, error) {
	var st State
	dir, err := labs.Dir(lab)
	if err != nil {
		return st, nil, err
	}
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return st, nil, labs.WithRemedy(fmt.Errorf("%w: lab %q runs no scenario", ErrNoScenario, lab), labs.RemedyScenario, lab)
	}
	if err != nil {
		return st, nil, fmt.Errorf("reading the lab's scenario state: %w", err)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return st, nil, fmt.Errorf("%s is damaged: %w", filepath.Join(dir, stateFile), err)
	}
	path := filepath.Join(dir, sourceFile)
	source, err := os.ReadFile(path)
	if err != nil {
		return st, nil, fmt.Errorf("lab %q: reading scenario: %w", lab, err)
	}
	s, ok := l.parsed[string(source)]
	if !ok {
		if s, err = Parse(path, source); err != nil {
			return st, nil, fmt.Errorf("lab %q: %w", lab, err)
		}
		if l.parsed == nil {
			l.parsed = map[string]*Scenario{}
		}
		l.parsed[string(source)] = s
	}
	if s.StageIndex(st.Stage) < 0 {
		return st, nil, fmt.Errorf("%s names stage %q, which scenario %s does not have", filepath.Join(dir, stateFile), st.Stage, s.Metadata.Name)
	}
	return st, s, nil
}
