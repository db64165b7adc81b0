package scenarios

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ckat/ckat/grader"
	"github.com/ckat/ckat/internal/structdoc"
)

const docsFile = "docs_generated.go"

// TestDocsMatchSource fails when the Go doc of the scenario types and
// docs_generated.go drift apart; `go generate ./scenarios` rewrites it.
func TestDocsMatchSource(t *testing.T) {
	docs, err := structdoc.Read(".", scenarioTypes()...)
	require.NoError(t, err)
	want, err := structdoc.Source("scenarios", "structDocs", "go generate ./scenarios", docs)
	require.NoError(t, err)
	if *update {
		require.NoError(t, os.WriteFile(docsFile, want, 0o644))
	}
	got, err := os.ReadFile(docsFile)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got), "%s is stale: run go generate ./grader ./scenarios", docsFile)
}

// scenarioTypes names the struct types of this package a scenario file
// is decoded into.
func scenarioTypes() []string {
	seen := map[string]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t.PkgPath() != reflect.TypeFor[Scenario]().PkgPath() || seen[t.Name()] {
			return
		}
		seen[t.Name()] = true
		for _, f := range structFields(t) {
			walk(t.FieldByIndex(f.index).Type)
		}
		for i := range t.NumField() {
			if f := t.Field(i); f.Anonymous && f.Tag.Get("yaml") != "-" {
				walk(f.Type)
			}
		}
	}
	walk(reflect.TypeFor[Scenario]())
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	return names
}

const (
	readmeFile       = "README.md"
	checkTypesBegin  = "<!-- check types: made from the check types' Go doc by `go generate ./grader ./scenarios`; edit that, not this -->\n"
	checkTypesFinish = "<!-- end of check types -->\n"
)

// TestReadmeDocumentsEveryCheckType fails when README.md's section on
// check types is not what the grader's check types and their Go doc make;
// `go generate ./grader ./scenarios` rewrites it.
func TestReadmeDocumentsEveryCheckType(t *testing.T) {
	data, err := os.ReadFile(readmeFile)
	require.NoError(t, err)
	readme := string(data)
	before, rest, ok := strings.Cut(readme, checkTypesBegin)
	require.True(t, ok, "README.md has no line %q", checkTypesBegin)
	section, after, ok := strings.Cut(rest, checkTypesFinish)
	require.True(t, ok, "README.md has no line %q", checkTypesFinish)
	want := checkTypesMarkdown()
	if *update {
		require.NoError(t, os.WriteFile(readmeFile, []byte(before+checkTypesBegin+want+checkTypesFinish+after), 0o644))
		section = want
	}
	require.Equal(t, want, section, "README.md's check types are stale: run go generate ./grader ./scenarios")
	for _, ct := range grader.CheckTypes() {
		require.Contains(t, section, "### `"+ct.Name()+"`")
	}
}

// checkTypesMarkdown documents every check type and its fields, and the
// objects they name.
func checkTypesMarkdown() string {
	var b strings.Builder
	for _, ct := range grader.CheckTypes() {
		fmt.Fprintf(&b, "\n### `%s`\n\n%s\n\n", ct.Name(), ct.Doc())
		for _, f := range ct.Fields() {
			req := ""
			if f.Required {
				req = " (required)"
			}
			fmt.Fprintf(&b, "- `%s`%s: %s\n", f.Name, req, f.Doc)
		}
	}
	ref := reflect.TypeFor[grader.ObjectRef]()
	fmt.Fprintf(&b, "\n### Objects in `present` and `absent`\n\n%s\n\n", grader.Doc(ref, ""))
	for i := range ref.NumField() {
		name, _, _ := strings.Cut(ref.Field(i).Tag.Get("json"), ",")
		fmt.Fprintf(&b, "- `%s`: %s\n", name, grader.Doc(ref, name))
	}
	b.WriteString("\n")
	return b.String()
}
