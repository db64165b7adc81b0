package scenarios

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// Params are a lab's drawn parameter values by name.
type Params map[string]string

// seedStream separates ckat's parameter draws from any other use of a seed.
const seedStream = 0x636b6174 // "ckat"

// GenerateParams draws the scenario's parameters from seed: the same seed
// always gives the same values. Words are distinct within a scenario, so
// two word parameters never name the same object.
func (s *Scenario) GenerateParams(seed uint64) (Params, error) {
	r := rand.New(rand.NewPCG(seed, seedStream))
	out := Params{}
	used := map[string]bool{}
	deps := map[string][]string{}
	for _, p := range s.Params {
		switch {
		case p.Word != nil:
			w := words[r.IntN(len(words))]
			for used[w] && len(used) < len(words) {
				w = words[r.IntN(len(words))]
			}
			used[w] = true
			out[p.Name] = w
		case p.RandomString != nil:
			const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
			b := make([]byte, p.RandomString.Length)
			for i := range b {
				b[i] = alphabet[r.IntN(len(alphabet))]
			}
			out[p.Name] = string(b)
		case p.OneOf != nil:
			out[p.Name] = p.OneOf[r.IntN(len(p.OneOf))]
		case p.Value != nil:
			out[p.Name] = *p.Value
		case p.Template != nil:
			t, err := parseTemplate(p.Name, *p.Template)
			if err != nil {
				return nil, fmt.Errorf("parameter %q: %w", p.Name, err)
			}
			for _, ref := range templateRefs(t) {
				if len(ref) > 1 && ref[0] == "params" {
					deps[p.Name] = append(deps[p.Name], ref[1])
				}
			}
		}
	}
	order, err := paramOrder(s.Params, deps)
	if err != nil {
		return nil, err
	}
	for _, name := range order {
		i := slices.IndexFunc(s.Params, func(p Param) bool { return p.Name == name })
		p := s.Params[i]
		if p.Template == nil {
			continue
		}
		t, _ := parseTemplate(p.Name, *p.Template)
		var buf bytes.Buffer
		if err := t.Execute(&buf, map[string]any{"params": map[string]string(out)}); err != nil {
			return nil, fmt.Errorf("parameter %q: %s", p.Name, templateError(err))
		}
		out[p.Name] = buf.String()
	}
	return out, nil
}

// paramOrder orders template parameters after the parameters they use,
// keeping declaration order otherwise, and reports a cycle.
func paramOrder(params []Param, deps map[string][]string) ([]string, error) {
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[string]int{}
	var order []string
	var visit func(name string, path []string) error
	visit = func(name string, path []string) error {
		switch state[name] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("parameter templates refer to each other in a cycle: %s", strings.Join(append(path, name), " -> "))
		}
		state[name] = visiting
		for _, d := range deps[name] {
			if err := visit(d, append(path, name)); err != nil {
				return err
			}
		}
		state[name] = done
		order = append(order, name)
		return nil
	}
	for _, p := range params {
		if err := visit(p.Name, nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}
