package grader

import (
	"context"
	"errors"
	"fmt"
	"path"
	"reflect"
	"strings"
)

// checker is what every typed check implements: it checks its own fields
// and runs against a lab.
type checker interface {
	// validate adds to p what is wrong with the check's fields, before
	// any run.
	validate(p *fieldProblems)
	Run(ctx context.Context, t Target) Result
}

// checkTypes is the one list of check types, in the order a scenario's
// reader meets them. A new check type is a struct implementing checker,
// its field in CheckSpec and its line here: checkType's constraint does
// not compile for a struct that is not a checker, and
// TestCheckTypesMatchCheckSpec fails when the field and the line differ.
var checkTypes = []CheckType{
	checkType("snapshotFile", func(s *CheckSpec) *SnapshotFileCheck { return s.SnapshotFile }),
	checkType("snapshotContents", func(s *CheckSpec) *SnapshotContentsCheck { return s.SnapshotContents }),
	checkType("restoredDataDir", func(s *CheckSpec) *RestoredDataDirCheck { return s.RestoredDataDir }),
	checkType("etcdDataVolume", func(s *CheckSpec) *EtcdDataVolumeCheck { return s.EtcdDataVolume }),
	checkType("manifestPresent", func(s *CheckSpec) *ManifestPresentCheck { return s.ManifestPresent }),
	checkType("manifestArg", func(s *CheckSpec) *ManifestArgCheck { return s.ManifestArg }),
	checkType("etcdServers", func(s *CheckSpec) *EtcdServersCheck { return s.EtcdServers }),
	checkType("etcdServing", func(s *CheckSpec) *EtcdServingCheck { return s.EtcdServing }),
	checkType("apiServerReady", func(s *CheckSpec) *APIServerReadyCheck { return s.APIServerReady }),
	checkType("objects", func(s *CheckSpec) *ObjectsCheck { return s.Objects }),
}

// CheckType is one type of check a CheckSpec may set.
type CheckType struct {
	name string
	typ  reflect.Type
	// get returns the check of this type s sets, or nil.
	get func(s *CheckSpec) checker
}

// checkType makes the table entry for the typed check T, which get
// returns from a CheckSpec (nil when unset).
func checkType[T any, P interface {
	*T
	checker
}](name string, get func(s *CheckSpec) P) CheckType {
	return CheckType{
		name: name,
		typ:  reflect.TypeFor[T](),
		get: func(s *CheckSpec) checker {
			if c := get(s); c != nil {
				return c
			}
			return nil
		},
	}
}

// CheckTypes lists every check type, in the order scenarios document them.
func CheckTypes() []CheckType {
	return append([]CheckType(nil), checkTypes...)
}

// Name is the check type's key in YAML and JSON ("snapshotFile").
func (c CheckType) Name() string { return c.name }

// GoType is the struct that holds the check type's fields.
func (c CheckType) GoType() reflect.Type { return c.typ }

// Doc says what the check type checks, from its struct's Go doc.
func (c CheckType) Doc() string { return Doc(c.typ, "") }

// CheckField is one field of a check type, for documentation.
type CheckField struct {
	// Name is the field's key in YAML and JSON.
	Name string
	// Doc is the field's Go doc.
	Doc string
	// Required is true when a check of this type must set the field.
	Required bool
}

// Fields lists the check type's fields in declaration order; Required
// comes from the type's own validation.
func (c CheckType) Fields() []CheckField {
	zero := reflect.New(c.typ).Interface().(checker)
	p := fieldProblems{check: c.name, required: map[string]bool{}}
	zero.validate(&p)
	var out []CheckField
	for i := range c.typ.NumField() {
		name, _, _ := strings.Cut(c.typ.Field(i).Tag.Get("json"), ",")
		out = append(out, CheckField{Name: name, Doc: Doc(c.typ, name), Required: p.required[name]})
	}
	return out
}

// Type is the name of the one check type s sets ("snapshotFile"), or ""
// when it sets none; Validate reports more than one.
func (s CheckSpec) Type() string {
	if set := s.SetTypes(); len(set) > 0 {
		return set[0]
	}
	return ""
}

// SetTypes names every check type s sets, in CheckTypes order. A valid
// spec sets exactly one.
func (s CheckSpec) SetTypes() []string {
	var names []string
	for _, ct := range checkTypes {
		if ct.get(&s) != nil {
			names = append(names, ct.name)
		}
	}
	return names
}

// check returns the one typed check s sets, or nil when it sets none.
func (s *CheckSpec) check() checker {
	for _, ct := range checkTypes {
		if c := ct.get(s); c != nil {
			return c
		}
	}
	return nil
}

// Validate checks that exactly one typed check is set and that its required
// fields are present; the message names the field ("restoredDataDir.path is
// required").
func (s CheckSpec) Validate() error {
	if strings.TrimSpace(s.Name) == "" {
		return errors.New("name is required")
	}
	if s.Points < 0 {
		return fmt.Errorf("points is %d; it must be 0 (meaning 1) or more", s.Points)
	}
	set := s.SetTypes()
	switch len(set) {
	case 0:
		names := make([]string, len(checkTypes))
		for i, ct := range checkTypes {
			names[i] = ct.name
		}
		return errors.New("no check set: give exactly one of " + strings.Join(names, ", "))
	case 1:
	default:
		return fmt.Errorf("%s are all set; a check has exactly one", strings.Join(set, " and "))
	}
	p := fieldProblems{check: set[0], required: map[string]bool{}}
	s.check().validate(&p)
	return joinErrors(p.errs)
}

// fieldProblems collects what is wrong with one typed check's fields,
// each message naming the field as "check.field".
type fieldProblems struct {
	check    string
	errs     []error
	required map[string]bool
}

// addf adds a problem with field, worded "check.field <format>".
func (p *fieldProblems) addf(field, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("%s.%s %s", p.check, field, fmt.Sprintf(format, args...)))
}

// require marks field as required and reports it when it is not set.
func (p *fieldProblems) require(field string, set bool) {
	p.required[field] = true
	if !set {
		p.addf(field, "is required")
	}
}

// nodePath checks that the field's value, when set, is an absolute path
// on the node; a required field must be set.
func (p *fieldProblems) nodePath(field, value string, required bool) {
	if required {
		p.require(field, value != "")
	}
	if value != "" && !path.IsAbs(value) {
		p.addf(field, "is %q; it must be an absolute path on the node", value)
	}
}

// joinErrors joins errors on one line.
func joinErrors(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
	}
	return errors.New(strings.Join(msgs, "; "))
}
