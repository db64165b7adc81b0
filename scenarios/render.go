package scenarios

import (
	"bytes"
	"fmt"
	"reflect"

	"gopkg.in/yaml.v3"
)

// Render returns the scenario with every template (tasks, checks, steps,
// hints, solutions, mistakes) executed with the lab's parameters and
// facts: {{.params.NAME}} and {{.lab.FACT}}.
func (s *Scenario) Render(params Params, lab LabFacts) (*Scenario, error) {
	doc := copyNode(s.doc)
	data := map[string]any{"params": map[string]string(params), "lab": lab.data()}
	var firstErr error
	templatedScalars(doc, func(n *yaml.Node) {
		if firstErr != nil {
			return
		}
		out, err := renderString(n.Value, data)
		if err != nil {
			firstErr = fmt.Errorf("%s:%d:%d: %w", s.file, n.Line, n.Column, err)
			return
		}
		n.Value = out
	})
	if firstErr != nil {
		return nil, firstErr
	}
	d := &decoder{file: s.file}
	r := &Scenario{}
	d.decode(doc, reflect.ValueOf(r).Elem(), "")
	if len(d.problems) > 0 {
		return nil, d.problems
	}
	for i, c := range r.Cleanup {
		if err := checkCleanupPath(c); err != nil {
			return nil, fmt.Errorf("%s:%d:%d: cleanup[%d]: %w", s.file, s.posOfCleanup(i).Line, s.posOfCleanup(i).Column, i, err)
		}
	}
	r.doc, r.source, r.file = doc, s.source, s.file
	return r, nil
}

func renderString(s string, data map[string]any) (string, error) {
	if !bytes.Contains([]byte(s), []byte("{{")) {
		return s, nil
	}
	t, err := parseTemplate("", s)
	if err != nil {
		return "", fmt.Errorf("template: %s", templateError(err))
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return "", fmt.Errorf("template: %s", templateError(err))
	}
	return buf.String(), nil
}

func copyNode(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.AliasNode {
		// Materialised, so that rendering reaches every use.
		return copyNode(n.Alias)
	}
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, k := range n.Content {
		c.Content[i] = copyNode(k)
	}
	return &c
}

// Source is the scenario file's content.
func (s *Scenario) Source() []byte { return s.source }

// File is where the scenario was read from ("builtin:NAME.yaml" for the
// built-in ones).
func (s *Scenario) File() string { return s.file }

// posOfCleanup is where cleanup entry i is written.
func (s *Scenario) posOfCleanup(i int) Pos { return posIn(s.doc, "cleanup", i) }
