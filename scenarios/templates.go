package scenarios

import (
	"fmt"
	"sort"
	"strings"
	"text/template"
	"text/template/parse"

	"gopkg.in/yaml.v3"
)

// parseTemplate parses s as a Go text/template that fails on missing keys.
func parseTemplate(name, s string) (*template.Template, error) {
	return template.New(name).Option("missingkey=error").Parse(s)
}

// templateRefs returns the data paths a template reads, such as
// ["params","backupPath"] or ["lab","certs","ca"]. Fields inside range
// and with blocks, where dot changes, are not followed.
func templateRefs(t *template.Template) [][]string {
	var refs [][]string
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return
			}
			for _, c := range n.Nodes {
				walk(c)
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.Pipe)
		case *parse.WithNode:
			walk(n.Pipe)
		case *parse.TemplateNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n == nil {
				return
			}
			for _, c := range n.Cmds {
				walk(c)
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.FieldNode:
			refs = append(refs, n.Ident)
		case *parse.ChainNode:
			walk(n.Node)
		}
	}
	if t.Tree != nil {
		walk(t.Tree.Root)
	}
	return refs
}

// checkRef says what is wrong with a template reference, or "".
// params is the set of parameter names; lab is false where lab facts are
// not available (in parameter templates).
func checkRef(ref []string, params map[string]bool, lab bool) string {
	switch ref[0] {
	case "params":
		if len(ref) < 2 {
			return ""
		}
		if !params[ref[1]] {
			return fmt.Sprintf("template refers to parameter %q, which is not declared (declared: %s)", ref[1], strings.Join(sortedKeys(params), ", "))
		}
		if len(ref) > 2 {
			return fmt.Sprintf("parameter %q is a string and has no field %q", ref[1], ref[2])
		}
	case "lab":
		if !lab {
			return "a parameter template cannot use lab facts ({{.lab...}}): parameters are drawn before the lab exists"
		}
		var cur any = LabFacts{}.data()
		for i, f := range ref[1:] {
			m, ok := cur.(map[string]any)
			if !ok {
				return fmt.Sprintf("lab fact %q has no field %q", strings.Join(ref[1:i+1], "."), f)
			}
			next, ok := m[f]
			if !ok {
				return fmt.Sprintf("template refers to unknown lab fact %q (known: %s)", strings.Join(ref[1:i+2], "."), strings.Join(sortedKeys(m), ", "))
			}
			cur = next
		}
	default:
		return fmt.Sprintf("template refers to .%s: only .params.NAME and .lab.FACT exist", ref[0])
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// templatedScalars calls fn for every string value in the document that
// is rendered with the lab's parameters: everything except mapping keys
// and the metadata and params sections.
func templatedScalars(doc *yaml.Node, fn func(n *yaml.Node)) {
	root := doc
	for root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return
	}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		switch n.Kind {
		case yaml.ScalarNode:
			if n.Tag == "!!str" || n.Tag == "" {
				fn(n)
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c)
			}
		case yaml.MappingNode:
			for i := 1; i < len(n.Content); i += 2 {
				walk(n.Content[i])
			}
		}
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch root.Content[i].Value {
		case "metadata", "params", "apiVersion", "kind", "lab":
			continue
		}
		walk(root.Content[i+1])
	}
}
