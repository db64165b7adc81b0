package grader

import (
	"flag"
	"os"
	"reflect"
	"testing"

	"github.com/ckat/ckat/internal/structdoc"
)

var updateDocs = flag.Bool("update", false, "rewrite docs_generated.go")

const docsFile = "docs_generated.go"

// TestDocsMatchSource fails when the Go doc of the types a scenario writes
// and docs_generated.go drift apart; `go generate ./grader` rewrites it.
func TestDocsMatchSource(t *testing.T) {
	types := []string{"CheckSpec", "ObjectRef"}
	for _, ct := range checkTypes {
		types = append(types, ct.typ.Name())
	}
	docs, err := structdoc.Read(".", types...)
	if err != nil {
		t.Fatal(err)
	}
	want, err := structdoc.Source("grader", "structDocs", "go generate ./grader", docs)
	if err != nil {
		t.Fatal(err)
	}
	if *updateDocs {
		if err := os.WriteFile(docsFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(docsFile)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("%s is stale: run go generate ./grader", docsFile)
	}
}

// TestEveryCheckTypeDocumented wants a doc for every check type and each
// of its fields: scenarios/README.md and the schema show them.
func TestEveryCheckTypeDocumented(t *testing.T) {
	for _, ct := range CheckTypes() {
		if ct.Doc() == "" {
			t.Errorf("check type %s has no doc: write one on %s", ct.Name(), ct.GoType().Name())
		}
		for _, f := range ct.Fields() {
			if f.Doc == "" {
				t.Errorf("field %s.%s has no doc: write one on %s", ct.Name(), f.Name, ct.GoType().Name())
			}
		}
	}
	for _, f := range []string{"", "kind", "namespace", "name", "data", "image"} {
		if Doc(reflect.TypeFor[ObjectRef](), f) == "" {
			t.Errorf("ObjectRef field %q has no doc", f)
		}
	}
}
