package grader

import (
	"reflect"
	"strings"
	"testing"
)

// TestCheckTypesMatchCheckSpec wants one checkTypes line for each typed
// check field of CheckSpec, with the field's JSON name and type, and in
// the field's order.
func TestCheckTypesMatchCheckSpec(t *testing.T) {
	spec := reflect.TypeFor[CheckSpec]()
	var fields []reflect.StructField
	for i := range spec.NumField() {
		if f := spec.Field(i); f.Type.Kind() == reflect.Pointer {
			fields = append(fields, f)
		}
	}
	types := CheckTypes()
	if len(types) != len(fields) {
		t.Fatalf("checkTypes has %d entries, CheckSpec %d typed check fields", len(types), len(fields))
	}
	for i, f := range fields {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		ct := types[i]
		if ct.Name() != name || ct.GoType() != f.Type.Elem() {
			t.Errorf("checkTypes[%d] is %s (%s), CheckSpec's field %d is %s (%s)", i, ct.Name(), ct.GoType(), i, name, f.Type.Elem())
		}
		var s CheckSpec
		reflect.ValueOf(&s).Elem().FieldByIndex(f.Index).Set(reflect.New(f.Type.Elem()))
		if got := s.Type(); got != name {
			t.Errorf("with only %s set, Type() = %q", f.Name, got)
		}
		if got := s.SetTypes(); len(got) != 1 || got[0] != name {
			t.Errorf("with only %s set, SetTypes() = %q", f.Name, got)
		}
	}
	if got := (CheckSpec{Name: "x"}).Type(); got != "" {
		t.Errorf("with no check set, Type() = %q, want \"\"", got)
	}
}

// TestCheckTypeFields reads required fields from the types' validation.
func TestCheckTypeFields(t *testing.T) {
	want := map[string]string{
		"snapshotFile":    "path*",
		"restoredDataDir": "path* snapshot* original",
		"manifestArg":     "path* flag* want*",
		"etcdServers":     "manifest etcdManifest",
		"apiServerReady":  "timeout manifest",
		"objects":         "present absent timeout",
	}
	for _, ct := range CheckTypes() {
		w, ok := want[ct.Name()]
		if !ok {
			continue
		}
		var got []string
		for _, f := range ct.Fields() {
			if f.Required {
				f.Name += "*"
			}
			got = append(got, f.Name)
		}
		if strings.Join(got, " ") != w {
			t.Errorf("%s fields = %q, want %q (* required)", ct.Name(), strings.Join(got, " "), w)
		}
	}
}
