package scenarios

import (
	"encoding/json"
	"flag"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/ckat/ckat/grader"
)

var update = flag.Bool("update", false, "rewrite what is made from the types: schema/scenario.schema.json, docs_generated.go, README.md's check types")

const schemaFile = "schema/scenario.schema.json"

// TestSchemaMatchesTypes fails when the Go types and the committed schema
// drift apart; `go generate ./grader ./scenarios` rewrites it.
func TestSchemaMatchesTypes(t *testing.T) {
	want := JSONSchema()
	if *update {
		require.NoError(t, os.WriteFile(schemaFile, want, 0o644))
	}
	got, err := os.ReadFile(schemaFile)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got), "the schema is stale: run go generate ./grader ./scenarios")
}

// TestBuiltinScenariosMatchSchema checks every built-in scenario against
// the schema's structure: known keys, required keys and value types.
func TestBuiltinScenariosMatchSchema(t *testing.T) {
	data, err := os.ReadFile(schemaFile)
	require.NoError(t, err)
	var schema map[string]any
	require.NoError(t, yaml.Unmarshal(data, &schema))
	entries, err := builtinFS.ReadDir(".")
	require.NoError(t, err)
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			src, err := builtinFS.ReadFile(e.Name())
			require.NoError(t, err)
			var doc any
			require.NoError(t, yaml.Unmarshal(src, &doc))
			require.Empty(t, schemaProblems(schema, schema, doc, ""))
		})
	}
	// And the check itself catches what it should.
	var bad any
	require.NoError(t, yaml.Unmarshal([]byte("apiVersion: ckat.dev/v1alpha1\nkind: Scenario\nmetadata: {name: x, title: y, owner: z}\nstages: [{name: s, task: 3}]\n"), &bad))
	require.ElementsMatch(t, []string{
		".metadata: unknown key owner",
		".stages[0].task: want string",
		".stages[0]: missing checks",
		".stages[0]: missing solution",
	}, schemaProblems(schema, schema, bad, ""))
}

// schemaProblems validates v against the subset of JSON schema that
// JSONSchema emits: $ref, const, type, properties, additionalProperties,
// required, items.
func schemaProblems(root, s map[string]any, v any, at string) []string {
	if ref, ok := s["$ref"].(string); ok {
		name := ref[len("#/$defs/"):]
		return schemaProblems(root, root["$defs"].(map[string]any)[name].(map[string]any), v, at)
	}
	if c, ok := s["const"]; ok && c != v {
		return []string{at + ": want " + c.(string)}
	}
	var out []string
	switch s["type"] {
	case "string":
		if _, ok := v.(string); !ok {
			return []string{at + ": want string"}
		}
	case "integer":
		if _, ok := v.(int); !ok {
			return []string{at + ": want integer"}
		}
	case "array":
		items, ok := v.([]any)
		if !ok {
			return []string{at + ": want array"}
		}
		for i, item := range items {
			out = append(out, schemaProblems(root, s["items"].(map[string]any), item, at+"["+strconv.Itoa(i)+"]")...)
		}
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return []string{at + ": want object"}
		}
		props, _ := s["properties"].(map[string]any)
		for k, val := range m {
			if props != nil {
				p, known := props[k]
				if !known {
					out = append(out, at+": unknown key "+k)
					continue
				}
				out = append(out, schemaProblems(root, p.(map[string]any), val, at+"."+k)...)
			} else if ap, ok := s["additionalProperties"].(map[string]any); ok {
				out = append(out, schemaProblems(root, ap, val, at+"."+k)...)
			}
		}
		req, _ := s["required"].([]any)
		for _, r := range req {
			if _, ok := m[r.(string)]; !ok {
				out = append(out, at+": missing "+r.(string))
			}
		}
	}
	return out
}

// TestSchemaDescribesCheckTypes wants every check type and each of its
// fields described, so editors show what a check does as it is written.
func TestSchemaDescribesCheckTypes(t *testing.T) {
	var schema map[string]any
	require.NoError(t, json.Unmarshal(JSONSchema(), &schema))
	defs := schema["$defs"].(map[string]any)
	checkProps := defs["Check"].(map[string]any)["properties"].(map[string]any)
	for _, ct := range grader.CheckTypes() {
		prop := checkProps[ct.Name()].(map[string]any)
		require.Equal(t, ct.Doc(), prop["description"], ct.Name())
		fields := defs["grader."+ct.GoType().Name()].(map[string]any)["properties"].(map[string]any)
		require.Len(t, fields, len(ct.Fields()), ct.Name())
		for _, f := range ct.Fields() {
			require.Equal(t, f.Doc, fields[f.Name].(map[string]any)["description"], ct.Name()+"."+f.Name)
			require.NotEmpty(t, f.Doc, ct.Name()+"."+f.Name)
		}
	}
}
