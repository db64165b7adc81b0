package staticpod

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"

	yamlv3 "gopkg.in/yaml.v3"
)

// yamlTree is the first YAML document of a manifest as a node tree, for
// the line numbers the kubelet's decoder does not keep. Lookups take the
// last of duplicate keys, as the kubelet's decoding does.
type yamlTree struct {
	root       *yamlv3.Node // nil when the tree could not be parsed
	docLine    int
	duplicates []Finding
	nextDoc    int // line of a second document with content; 0 if none
}

var duplicateRE = regexp.MustCompile(`line (\d+): (mapping key "[^"]*" already defined at line \d+)`)

// parseTree parses data's first document with yaml.v3, which keeps lines
// and says where a duplicate key was first defined. A file yaml.v3 cannot
// parse gives an empty tree: its findings then have no line.
func parseTree(data []byte) *yamlTree {
	t := &yamlTree{}
	dec := yamlv3.NewDecoder(bytes.NewReader(data))
	var doc yamlv3.Node
	if err := dec.Decode(&doc); err != nil {
		return t
	}
	t.docLine = doc.Line
	if len(doc.Content) > 0 {
		t.root = doc.Content[0]
	}
	// Decoding into a generic value is what detects duplicate keys.
	var generic any
	if err := doc.Decode(&generic); err != nil {
		for _, m := range duplicateRE.FindAllStringSubmatch(err.Error(), -1) {
			line, _ := strconv.Atoi(m[1])
			t.duplicates = append(t.duplicates, Finding{Line: line, Msg: m[2] + " (the last value is used)"})
		}
	}
	var next yamlv3.Node
	if err := dec.Decode(&next); err == nil && len(next.Content) > 0 && next.Content[0].Tag != "!!null" {
		t.nextDoc = next.Line
	}
	return t
}

func (t *yamlTree) isMapping() bool {
	return t.root != nil && t.root.Kind == yamlv3.MappingNode
}

// scalar is the value of a top-level key, "" when absent.
func (t *yamlTree) scalar(key string) string {
	if v := mapValue(t.root, key); v != nil && v.Kind == yamlv3.ScalarNode {
		return v.Value
	}
	return ""
}

// line returns the line of the key at path (mapping keys; a list is
// searched for the first item that has the next key), or the line of the
// deepest key found; 0 when none.
func (t *yamlTree) line(path ...string) int {
	segs := make([]segment, len(path))
	for i, p := range path {
		segs[i] = segment{key: p, index: -1}
	}
	return t.walk(segs)
}

// fieldLine is line for a field path as apimachinery prints it
// ("spec.containers[0].volumeMounts[1].name", "spec.containers.command",
// "metadata.annotations[some/key]").
func (t *yamlTree) fieldLine(path string) int {
	return t.walk(parseFieldPath(path))
}

type segment struct {
	key   string
	index int // >= 0 for a list index
}

func parseFieldPath(path string) []segment {
	var segs []segment
	for len(path) > 0 {
		switch path[0] {
		case '.':
			path = path[1:]
		case '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return segs
			}
			inner := path[1:end]
			if i, err := strconv.Atoi(inner); err == nil {
				segs = append(segs, segment{index: i})
			} else {
				segs = append(segs, segment{key: inner, index: -1})
			}
			path = path[end+1:]
		default:
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			segs = append(segs, segment{key: path[:end], index: -1})
			path = path[end:]
		}
	}
	return segs
}

func (t *yamlTree) walk(segs []segment) int {
	n := t.root
	line := 0
	for _, s := range segs {
		if s.index >= 0 {
			if n == nil || n.Kind != yamlv3.SequenceNode || s.index >= len(n.Content) {
				return line
			}
			n = n.Content[s.index]
			line = n.Line
			continue
		}
		if n != nil && n.Kind == yamlv3.SequenceNode {
			var found *yamlv3.Node
			for _, item := range n.Content {
				if mapKey(item, s.key) != nil {
					found = item
					break
				}
			}
			n = found
		}
		k := mapKey(n, s.key)
		if k == nil {
			return line
		}
		line = k.Line
		n = mapValue(n, s.key)
	}
	return line
}

// mapKey is the last key node named key in mapping n.
func mapKey(n *yamlv3.Node, key string) *yamlv3.Node {
	if n == nil || n.Kind != yamlv3.MappingNode {
		return nil
	}
	var found *yamlv3.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			found = n.Content[i]
		}
	}
	return found
}

// mapValue is the value of the last key named key in mapping n.
func mapValue(n *yamlv3.Node, key string) *yamlv3.Node {
	if n == nil || n.Kind != yamlv3.MappingNode {
		return nil
	}
	var found *yamlv3.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			found = n.Content[i+1]
		}
	}
	return found
}
