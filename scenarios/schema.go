package scenarios

import (
	"encoding/json"
	"maps"
	"reflect"
	"strings"
)

// JSONSchema returns a JSON schema (draft 2020-12) for scenario files,
// generated from the Go types the loader decodes into, for editors'
// completion and checking; descriptions are the types' Go doc. The loader remains the authority: it also
// checks unions, names and template references.
func JSONSchema() []byte {
	defs := map[string]any{}
	root := schemaFor(reflect.TypeFor[Scenario](), defs)
	doc := map[string]any{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"$id":     "https://ckat.dev/schemas/scenario.schema.json",
		"title":   "ckat scenario",
		"$defs":   defs,
	}
	for k, v := range root.(map[string]any) {
		doc[k] = v
	}
	props := doc["properties"].(map[string]any)
	props["apiVersion"] = map[string]any{"const": APIVersion}
	props["kind"] = map[string]any{"const": Kind}
	out, _ := json.MarshalIndent(doc, "", "  ")
	return append(out, '\n')
}

func schemaFor(t reflect.Type, defs map[string]any) any {
	if t == durationType {
		return map[string]any{"type": "string", "pattern": "^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return schemaFor(t.Elem(), defs)
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Int, reflect.Int64, reflect.Int32:
		// A template that renders to a whole number, quoted as every
		// template is, may stand for an integer (decodeQuotedInt).
		return map[string]any{"anyOf": []any{
			map[string]any{"type": "integer"},
			map[string]any{"type": "string", "pattern": `^\s*\{\{.*\}\}\s*$`},
		}}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaFor(t.Elem(), defs)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaFor(t.Elem(), defs)}
	case reflect.Struct:
		name := t.Name()
		if t.PkgPath() != reflect.TypeFor[Scenario]().PkgPath() {
			name = "grader." + name
		}
		ref := map[string]any{"$ref": "#/$defs/" + name}
		if t == reflect.TypeFor[Scenario]() {
			ref = nil
		} else if _, done := defs[name]; done {
			return ref
		}
		obj := map[string]any{"type": "object", "additionalProperties": false}
		if d := doc(t, ""); d != "" {
			obj["description"] = d
		}
		if ref != nil {
			defs[name] = obj // placeholder against recursion
		}
		props := map[string]any{}
		var required []string
		for _, f := range fieldNames(t) {
			info := structFields(t)[f]
			prop := schemaFor(t.FieldByIndex(info.index).Type, defs).(map[string]any)
			if d := fieldDoc(t, info.index, f); d != "" {
				prop = maps.Clone(prop)
				prop["description"] = d
			}
			props[f] = prop
			if info.required {
				required = append(required, f)
			}
		}
		obj["properties"] = props
		if len(required) > 0 {
			obj["required"] = required
		}
		if ref == nil {
			return obj
		}
		defs[name] = obj
		return ref
	}
	return map[string]any{"description": strings.ToLower(t.Kind().String())}
}
