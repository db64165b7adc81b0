// Package scenarios loads, validates and renders ckat's practice
// scenarios: YAML files declaring the lab a task needs, the parameters drawn
// per lab, how the lab is seeded, the stages with their task text, checks
// and hints, a reference solution, and known wrong solutions.
//
// The built-in scenarios are embedded in the binary; an instructor's own
// are read from a directory (--scenario-dir).
package scenarios

import (
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

//go:embed *.yaml
var builtinFS embed.FS

// ErrNotFound is returned for a scenario name that no source has.
var ErrNotFound = errors.New("scenario not found")

// Builtin returns the built-in scenarios, sorted by name.
func Builtin() ([]*Scenario, error) {
	entries, err := builtinFS.ReadDir(".")
	if err != nil {
		return nil, err
	}
	var out []*Scenario
	for _, e := range entries {
		data, err := builtinFS.ReadFile(e.Name())
		if err != nil {
			return nil, err
		}
		s, err := Parse("builtin:"+e.Name(), data)
		if err != nil {
			return nil, fmt.Errorf("built-in scenario %s is invalid:\n%w", e.Name(), err)
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Metadata.Name < out[j].Metadata.Name })
	return out, nil
}

// List returns the built-in scenarios and, when dir is set, those in dir
// (*.yaml, *.yml); a scenario in dir replaces a built-in one of the same
// name. Any invalid file in dir is an error naming every problem, and so
// is a name that two files in dir both declare.
func List(dir string) ([]*Scenario, error) {
	all, err := Builtin()
	if err != nil {
		return nil, err
	}
	if dir == "" {
		return all, nil
	}
	byName := map[string]*Scenario{}
	for _, s := range all {
		byName[s.Metadata.Name] = s
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading scenario directory: %w", err)
	}
	var problems Problems
	fromDir := map[string]*Scenario{}
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if e.IsDir() || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		s, err := LoadFile(filepath.Join(dir, e.Name()))
		var ps Problems
		if errors.As(err, &ps) {
			problems = append(problems, ps...)
			continue
		}
		if err != nil {
			return nil, err
		}
		if first, ok := fromDir[s.Metadata.Name]; ok {
			p := posIn(s.doc, "metadata", "name")
			problems = append(problems, Problem{File: s.file, Line: p.Line, Column: p.Column,
				Message: fmt.Sprintf("metadata.name: scenario %q is also declared in %s", s.Metadata.Name, first.file)})
			continue
		}
		fromDir[s.Metadata.Name] = s
		byName[s.Metadata.Name] = s
	}
	if len(problems) > 0 {
		return nil, problems
	}
	out := make([]*Scenario, 0, len(byName))
	for _, s := range byName {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Metadata.Name < out[j].Metadata.Name })
	return out, nil
}

// Get returns the scenario called name from List(dir).
func Get(name, dir string) (*Scenario, error) {
	all, err := List(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(all))
	for i, s := range all {
		if s.Metadata.Name == name {
			return s, nil
		}
		names[i] = s.Metadata.Name
	}
	return nil, fmt.Errorf("%w: no scenario called %q (there are: %s)", ErrNotFound, name, strings.Join(names, ", "))
}
