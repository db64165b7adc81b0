package scenarios

import (
	"reflect"
	"strings"

	"github.com/ckat/ckat/grader"
)

// checkTypes are the YAML names of grader.CheckSpec's typed checks.
func checkTypes() []string {
	var names []string
	t := reflect.TypeFor[grader.CheckSpec]()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type.Kind() == reflect.Pointer {
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			names = append(names, name)
		}
	}
	return names
}

// Type is the YAML name of the typed check c sets ("snapshotFile"), or ""
// when it sets none.
func (c Check) Type() string {
	v := reflect.ValueOf(c.CheckSpec)
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.Pointer && !f.IsNil() {
			name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
			return name
		}
	}
	return ""
}

// checkSpecProblem says what is wrong with a check's shape, or "".
func checkSpecProblem(c Check) string {
	if c.Name == "" {
		return `missing required field "name"`
	}
	if !itemNameRE.MatchString(c.Name) {
		return "check name " + quote(c.Name) + ": use lowercase letters, digits and '-'"
	}
	var set []string
	v := reflect.ValueOf(c.CheckSpec)
	for i := range v.NumField() {
		f := v.Field(i)
		if f.Kind() == reflect.Pointer && !f.IsNil() {
			name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
			set = append(set, name)
		}
	}
	switch {
	case len(set) == 0:
		return "check " + quote(c.Name) + " has no type: set one of " + strings.Join(checkTypes(), ", ")
	case len(set) > 1:
		return "check " + quote(c.Name) + " sets " + strings.Join(set, " and ") + ": a check tests exactly one thing"
	}
	return ""
}

func quote(s string) string { return `"` + s + `"` }
