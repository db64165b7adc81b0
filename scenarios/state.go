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
	s, err := LoadFile(filepath.Join(dir, sourceFile))
	if err != nil {
		return st, nil, fmt.Errorf("lab %q: %w", lab, err)
	}
	if s.StageIndex(st.Stage) < 0 {
		return st, nil, fmt.Errorf("%s names stage %q, which scenario %s does not have", filepath.Join(dir, stateFile), st.Stage, s.Metadata.Name)
	}
	return st, s, nil
}
