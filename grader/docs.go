package grader

import "reflect"

//go:generate go test -count=1 -run TestDocsMatchSource . -update

// Doc is the Go doc of t, one of the grader's types a scenario writes
// (CheckSpec, a check type, ObjectRef), or with field set, of its field
// of that JSON name; "" when there is none. Scenario docs and the scenario
// schema are made from it.
func Doc(t reflect.Type, field string) string {
	if t.PkgPath() != reflect.TypeFor[CheckSpec]().PkgPath() {
		return ""
	}
	return structDocs[t.Name()][field]
}
