package scenarios

import (
	"fmt"
	"slices"
)

func (v *validator) validateStages() {
	stages := map[string]bool{}
	for i, st := range v.s.Stages {
		w := fmt.Sprintf("stages[%d]", i)
		if st.Name != "" {
			if !itemNameRE.MatchString(st.Name) {
				v.at(st.Pos, "%s: stage name %q: use lowercase letters, digits and '-'", w, st.Name)
			}
			if stages[st.Name] {
				v.at(st.Pos, "%s: duplicate stage name %q", w, st.Name)
			}
			stages[st.Name] = true
		}
		checks := map[string]bool{}
		for j, c := range st.Checks {
			cw := fmt.Sprintf("%s.checks[%d]", w, j)
			if c.Name != "" {
				if checks[c.Name] {
					v.at(c.Pos, "%s: duplicate check name %q in stage %q", cw, c.Name, st.Name)
				}
				checks[c.Name] = true
			}
			if msg := checkSpecProblem(c); msg != "" {
				v.at(c.Pos, "%s: %s", cw, msg)
			}
		}
		v.validateCheckOrder(w, st)
		for j, c := range st.Checks {
			for _, r := range c.Requires {
				switch {
				case r == c.Name:
					v.at(c.Pos, "%s.checks[%d]: check %q requires itself", w, j, c.Name)
				case !checks[r]:
					v.at(c.Pos, "%s.checks[%d]: requires %q, which is not a check of stage %q", w, j, r, st.Name)
				}
			}
		}
		v.validateSteps(w+".next", st.Next)
		if len(st.Next) > 0 && i == len(v.s.Stages)-1 {
			v.at(st.Pos, "%s: the last stage has next steps, but no stage follows", w)
		}
	}
	if v.s.Stages != nil && len(v.s.Stages) == 0 {
		v.at(v.posOf("stages"), "stages: a scenario needs at least one stage")
	}
}

// validateCheckOrder wants an apiServerReady check before any objects
// check of a stage that has no timeout: checks run in order, and such an
// objects check does not wait, so right after a correct restore it would
// find the API server still starting and score nothing. One with a
// timeout looks again until the API server answers.
func (v *validator) validateCheckOrder(w string, st Stage) {
	ready := false
	for j, c := range st.Checks {
		switch {
		case c.APIServerReady != nil:
			ready = true
		case c.Objects != nil && c.Objects.Timeout.Duration == 0 && !ready:
			v.at(c.Pos, "%s.checks[%d]: objects check %q comes before any apiServerReady check: checks run in order and an objects check without a timeout does not wait for the API server, so put an apiServerReady check first or give it a timeout", w, j, c.Name)
		}
	}
}

func (v *validator) validateMistakes() {
	names := map[string]bool{}
	for i, m := range v.s.Mistakes {
		w := fmt.Sprintf("mistakes[%d]", i)
		idx := v.validateAttempt(w, "mistake", m.Attempt, names)
		if idx < 0 {
			continue
		}
		st := v.s.Stages[idx]
		for _, f := range m.Fails {
			if !slices.ContainsFunc(st.Checks, func(c Check) bool { return c.Name == f }) {
				v.at(m.Pos, "%s: fails names check %q, which is not a check of stage %q", w, f, st.Name)
			}
		}
		if m.Fails != nil && len(m.Fails) == 0 {
			v.at(m.Pos, "%s: fails is empty: a mistake must fail at least one check (a solution that fails none belongs in alternatives)", w)
		}
	}
}

func (v *validator) validateAlternatives() {
	names := map[string]bool{}
	for i, a := range v.s.Alternatives {
		v.validateAttempt(fmt.Sprintf("alternatives[%d]", i), "alternative", a.Attempt, names)
	}
}

// validateAttempt checks what a mistake and an alternative share: a unique
// name, the stage it is graded in, and before naming earlier stages. It
// returns the stage's index, or -1 when there is no such stage.
func (v *validator) validateAttempt(where, what string, a Attempt, names map[string]bool) int {
	pos, name, stage, before := a.Pos, a.Name, a.Stage, a.Before
	if name != "" {
		if names[name] {
			v.at(pos, "%s: duplicate %s name %q", where, what, name)
		}
		names[name] = true
	}
	idx := v.s.StageIndex(stage)
	if stage == "" {
		idx = len(v.s.Stages) - 1
	}
	if idx < 0 {
		v.at(pos, "%s: stage %q does not exist", where, stage)
		return -1
	}
	for _, b := range sortedKeys(before) {
		if j := v.s.StageIndex(b); j < 0 || j >= idx {
			v.at(pos, "%s: before names stage %q, which is not a stage before %q", where, b, v.s.Stages[idx].Name)
		}
	}
	return idx
}

// StageIndex returns the index of the stage called name, or -1.
func (s *Scenario) StageIndex(name string) int {
	return slices.IndexFunc(s.Stages, func(st Stage) bool { return st.Name == name })
}
