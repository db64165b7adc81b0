package scenarios

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ckat/ckat/grader"
)

// Problem is one thing wrong with a scenario file, where it is.
type Problem struct {
	File    string
	Line    int
	Column  int
	Message string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Column, p.Message)
}

// Problems is every problem found in a file; as an error it prints one
// per line.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// decoder turns a YAML node tree into Go values strictly: unknown and
// duplicate keys, missing required fields and wrong types are all
// collected with their positions instead of stopping at the first.
type decoder struct {
	file     string
	problems Problems
}

func (d *decoder) addf(n *yaml.Node, format string, args ...any) {
	// The document's root has no name: its messages start with ": ".
	p := Problem{File: d.file, Message: strings.TrimPrefix(fmt.Sprintf(format, args...), ": ")}
	if n != nil {
		p.Line, p.Column = n.Line, n.Column
	}
	d.problems = append(d.problems, p)
}

var (
	posType       = reflect.TypeFor[Pos]()
	unmarshalType = reflect.TypeFor[yaml.Unmarshaler]()
	durationType  = reflect.TypeFor[grader.Duration]()
)

// decode fills v (addressable) from n; where names the element for
// messages ("stages[0].checks[1]").
func (d *decoder) decode(n *yaml.Node, v reflect.Value, where string) {
	for n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if v.CanAddr() && v.Addr().Type().Implements(unmarshalType) {
		if err := n.Decode(v.Addr().Interface()); err != nil {
			d.addf(n, "%s: %s", where, cleanYAMLError(err))
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if n.Tag == "!!null" {
			// `word:` with nothing after it turns the generator on, as
			// `word: {}` does.
			if e := v.Type().Elem(); e.Kind() == reflect.Struct && e.NumField() == 0 {
				v.Set(reflect.New(e))
			}
			return
		}
		p := reflect.New(v.Type().Elem())
		d.decode(n, p.Elem(), where)
		v.Set(p)
	case reflect.Struct:
		d.decodeStruct(n, v, where)
	case reflect.Slice:
		if n.Tag == "!!null" {
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.addf(n, "%s: expected a list, got %s", where, describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", where, i))
		}
		v.Set(s)
	case reflect.Map:
		if n.Tag == "!!null" {
			return
		}
		if n.Kind != yaml.MappingNode {
			d.addf(n, "%s: expected a mapping, got %s", where, describe(n))
			return
		}
		m := reflect.MakeMap(v.Type())
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			key := reflect.New(v.Type().Key()).Elem()
			d.decode(k, key, where)
			if m.MapIndex(key).IsValid() {
				d.addf(k, "%s: duplicate key %q", where, k.Value)
				continue
			}
			elem := reflect.New(v.Type().Elem()).Elem()
			d.decode(val, elem, where+"."+k.Value)
			m.SetMapIndex(key, elem)
		}
		v.Set(m)
	default:
		if n.Kind != yaml.ScalarNode {
			d.addf(n, "%s: expected %s, got %s", where, kindName(v.Kind()), describe(n))
			return
		}
		if n.Tag == "!!str" && isInt(v.Kind()) {
			d.decodeQuotedInt(n, v, where)
			return
		}
		if err := n.Decode(v.Addr().Interface()); err != nil {
			d.addf(n, "%s: expected %s, got %q", where, kindName(v.Kind()), n.Value)
		}
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, where string) {
	if n.Kind != yaml.MappingNode {
		d.addf(n, "%s: expected a mapping, got %s", where, describe(n))
		return
	}
	if f := v.FieldByName("Pos"); f.IsValid() && f.Type() == posType {
		f.Set(reflect.ValueOf(Pos{Line: n.Line, Column: n.Column}))
	}
	fields := structFields(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		f, ok := fields[k.Value]
		if !ok {
			d.addf(k, "%s: unknown field %q (known: %s)", where, k.Value, strings.Join(fieldNames(v.Type()), ", "))
			continue
		}
		if seen[k.Value] {
			d.addf(k, "%s: duplicate field %q", where, k.Value)
			continue
		}
		seen[k.Value] = true
		d.decode(val, v.FieldByIndex(f.index), joinWhere(where, k.Value))
	}
	for _, name := range fieldNames(v.Type()) {
		if fields[name].required && !seen[name] {
			d.addf(n, "%s: missing required field %q", where, name)
		}
	}
}

func joinWhere(where, field string) string {
	if where == "" {
		return field
	}
	return where + "." + field
}

type fieldInfo struct {
	index    []int
	required bool
	order    int
}

// structFields maps a struct's YAML keys to its fields, following
// ",inline" embedded structs.
func structFields(t reflect.Type) map[string]fieldInfo {
	out := map[string]fieldInfo{}
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("yaml")
			if tag == "-" || !sf.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			index := append(append([]int{}, prefix...), i)
			if strings.Contains(opts, "inline") {
				walk(sf.Type, index)
				continue
			}
			if name == "" {
				name = strings.ToLower(sf.Name)
			}
			out[name] = fieldInfo{index: index, required: sf.Tag.Get("ckat") == "required", order: len(out)}
		}
	}
	walk(t, nil)
	return out
}

// fieldNames lists a struct's YAML keys in declaration order.
func fieldNames(t reflect.Type) []string {
	fields := structFields(t)
	names := make([]string, len(fields))
	for name, f := range fields {
		names[f.order] = name
	}
	return names
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
}

// decodeQuotedInt reads a quoted scalar into an integer field: a template
// (replicas: "{{.params.replicas}}") is quoted as every template is, and
// its rendered text must be a whole number. Before rendering the field
// stays zero; the rendered scenario is decoded again.
func (d *decoder) decodeQuotedInt(n *yaml.Node, v reflect.Value, where string) {
	if strings.Contains(n.Value, "{{") {
		return
	}
	i, err := strconv.ParseInt(strings.TrimSpace(n.Value), 10, v.Type().Bits())
	if err != nil {
		d.addf(n, "%s: expected %s, got %q", where, kindName(v.Kind()), n.Value)
		return
	}
	v.SetInt(i)
}

func isInt(k reflect.Kind) bool {
	return k == reflect.Int || k == reflect.Int64 || k == reflect.Int32
}

func kindName(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Bool:
		return "true or false"
	}
	return k.String()
}

func cleanYAMLError(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "yaml: unmarshal errors:\n")
	return strings.TrimSpace(s)
}
