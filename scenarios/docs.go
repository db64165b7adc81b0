package scenarios

import (
	"reflect"

	"github.com/ckat/ckat/grader"
)

// The docs, then what is made from them: the schema and README.md's check
// types. Run after `go generate ./grader`, whose docs they use too.
//go:generate go test -count=1 -run TestDocsMatchSource . -update
//go:generate go test -count=1 -run "TestSchemaMatchesTypes|TestReadmeDocumentsEveryCheckType" . -update

// doc is the Go doc of struct type t, with field set of its field of that
// YAML (or JSON) name, for the scenario types and the grader's; "" when
// there is none.
func doc(t reflect.Type, field string) string {
	if t.PkgPath() == reflect.TypeFor[Scenario]().PkgPath() {
		return structDocs[t.Name()][field]
	}
	return grader.Doc(t, field)
}

// fieldDoc is the Go doc of the field of struct t at index (as
// structFields gives it, through inline structs), or else the doc of its
// type: a typed check's field in CheckSpec says nothing, its type says
// what the check does.
func fieldDoc(t reflect.Type, index []int, name string) string {
	owner := t
	if len(index) > 1 {
		owner = t.FieldByIndex(index[:len(index)-1]).Type
	}
	if d := doc(owner, name); d != "" {
		return d
	}
	ft := t.FieldByIndex(index).Type
	for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
		ft = ft.Elem()
	}
	if ft.Kind() == reflect.Struct {
		return doc(ft, "")
	}
	return ""
}
