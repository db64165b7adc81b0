package session

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/ckat/ckat/scenarios"
	"github.com/ckat/ckat/scenarios/guides"
)

// TaskJSON is `ckat task -o json`.
type TaskJSON struct {
	Scenario string           `json:"scenario"`
	Lab      string           `json:"lab"`
	Stage    string           `json:"stage"`
	Params   scenarios.Params `json:"params"`
	Task     string           `json:"task"`
}

// WriteTask prints the current stage's task as the learner reads it; the
// command layer adds where the scenario's guide is (GuidePath).
func (s *Session) WriteTask(w io.Writer) {
	st := s.Stage()
	fmt.Fprintf(w, "Scenario %s, lab %s: stage %d of %d (%s)\n\n", s.Source.Metadata.Name, s.Lab.Name(), s.StageNumber(), len(s.Rendered.Stages), st.Name)
	for _, line := range strings.Split(strings.TrimRight(st.Task, "\n"), "\n") {
		if line == "" {
			fmt.Fprintln(w)
			continue
		}
		fmt.Fprintf(w, "  %s\n", line)
	}
	fmt.Fprintln(w)
	// The task is worded as the exam words it; how to move on is ckat's
	// (the web page has a button for it instead).
	if s.StageNumber() < len(s.Rendered.Stages) {
		fmt.Fprintf(w, "When you are done, run 'ckat next' to go on to stage %d.\n\n", s.StageNumber()+1)
	}
}

// GuidePath is the path of the scenario's guide in ckat's source tree, and
// whether it has one.
func (s *Session) GuidePath() (string, bool) {
	name := s.Source.Metadata.Name
	return guides.Path(name), guides.Has(name)
}

// WriteTaskJSON prints the current stage's task and parameters as JSON.
func (s *Session) WriteTaskJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(TaskJSON{
		Scenario: s.Source.Metadata.Name,
		Lab:      s.Lab.Name(),
		Stage:    s.State.Stage,
		Params:   s.State.Params,
		Task:     s.Stage().Task,
	})
}
