package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"

	"gopkg.in/yaml.v3"
)

// Parse decodes and validates one scenario file's content; file names it in
// problems. It returns every problem found as Problems.
func Parse(file string, data []byte) (*Scenario, error) {
	doc, err := parseDocument(file, data)
	if err != nil {
		return nil, err
	}
	d := &decoder{file: file}
	s := &Scenario{}
	d.decode(doc, reflect.ValueOf(s).Elem(), "")
	v := &validator{decoder: d, s: s, doc: doc}
	v.validate()
	if len(d.problems) > 0 {
		sort.SliceStable(d.problems, func(i, j int) bool {
			a, b := d.problems[i], d.problems[j]
			return a.Line < b.Line || (a.Line == b.Line && a.Column < b.Column)
		})
		return nil, d.problems
	}
	s.doc = doc
	s.source = data
	s.file = file
	return s, nil
}

// LoadFile reads and parses a scenario file.
func LoadFile(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading scenario: %w", err)
	}
	return Parse(path, data)
}

// parseDocument reads exactly one YAML document.
func parseDocument(file string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Problems{{File: file, Line: 1, Column: 1, Message: "the file is empty"}}
		}
		return nil, Problems{yamlProblem(file, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, Problems{{File: file, Line: extra.Line, Column: extra.Column, Message: "a scenario file holds one YAML document; found another"}}
	} else if !errors.Is(err, io.EOF) {
		return nil, Problems{yamlProblem(file, err)}
	}
	return &doc, nil
}

// yamlProblem turns a YAML syntax error ("yaml: line 3: ...") into a
// Problem at its line.
func yamlProblem(file string, err error) Problem {
	p := Problem{File: file, Line: 1, Column: 1, Message: err.Error()}
	var line int
	var rest string
	if n, _ := fmt.Sscanf(err.Error(), "yaml: line %d:", &line); n == 1 {
		p.Line = line
		if i := bytes.IndexByte([]byte(err.Error()), ':'); i >= 0 {
			rest = err.Error()[i+1:]
			if j := bytes.IndexByte([]byte(rest), ':'); j >= 0 {
				rest = rest[j+1:]
			}
		}
		p.Message = "YAML syntax error:" + rest
	}
	return p
}
