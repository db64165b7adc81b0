package scenarios

import (
	"fmt"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ckat/ckat/internal/kubeadm"
	"github.com/ckat/ckat/kindconfigs"
	"github.com/ckat/ckat/labs"
)

var (
	paramNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	itemNameRE  = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
)

// validator checks what decoding cannot: unions, names, references.
type validator struct {
	*decoder
	s   *Scenario
	doc *yaml.Node
}

// posOf is posIn of the document being validated.
func (v *validator) posOf(path ...any) Pos { return posIn(v.doc, path...) }

// posIn finds the value at path (mapping keys and list indexes) in doc;
// where it is missing, the nearest parent's position.
func posIn(doc *yaml.Node, path ...any) Pos {
	n := doc
	for n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	pos := Pos{n.Line, n.Column}
	for _, step := range path {
		var next *yaml.Node
		switch step := step.(type) {
		case string:
			for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == step {
					next = n.Content[i+1]
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && step < len(n.Content) {
				next = n.Content[step]
			}
		}
		if next == nil {
			return pos
		}
		n = next
		pos = Pos{n.Line, n.Column}
	}
	return pos
}

func (v *validator) at(p Pos, format string, args ...any) {
	v.problems = append(v.problems, Problem{File: v.file, Line: p.Line, Column: p.Column, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) validate() {
	s := v.s
	if s.APIVersion != "" && s.APIVersion != APIVersion {
		v.at(v.posOf("apiVersion"), "apiVersion is %q; want %q", s.APIVersion, APIVersion)
	}
	if s.Kind != "" && s.Kind != Kind {
		v.at(v.posOf("kind"), "kind is %q; want %q", s.Kind, Kind)
	}
	if s.Metadata.Name != "" {
		if err := labs.ValidateName(s.Metadata.Name); err != nil {
			v.at(v.posOf("metadata", "name"), "metadata.name %q cannot name a lab: use 1 to 32 lowercase letters, digits and '-'", s.Metadata.Name)
		}
	}
	if n := s.Lab.ControlPlaneNodes; n != 0 && n != 1 {
		v.at(v.posOf("lab", "controlPlaneNodes"), "lab.controlPlaneNodes is %d; ckat labs have exactly 1", n)
	}
	if c := s.Lab.KindConfig; c != "" && !slices.Contains(kindconfigs.Names(), c) {
		v.at(v.posOf("lab", "kindConfig"), "lab.kindConfig %q is not a kind configuration ckat has (%s)", c, strings.Join(kindconfigs.Names(), ", "))
	}
	if c := s.Lab.Components; c != nil {
		if err := kubeadm.ValidateComponents(c); err != nil {
			v.at(v.posOf("lab", "components"), "lab.components: %v", err)
		}
	}
	params := v.validateParams()
	v.validateTemplates(v.doc, params)
	v.validateSteps("setup", s.Setup)
	for i, c := range s.Cleanup {
		if !strings.Contains(c, "{{") {
			if err := checkCleanupPath(c); err != nil {
				v.at(v.posOf("cleanup", i), "cleanup[%d]: %v", i, err)
			}
		}
	}
	v.validateStages()
	v.validateAlternatives()
	v.validateMistakes()
	if len(v.problems) == 0 {
		v.validateRendered()
	}
}

// validateRendered renders the scenario with sample parameters and checks
// what only makes sense with values in place: the checks' own fields
// (absolute paths, required values) and the cleanup paths.
func (v *validator) validateRendered() {
	v.s.doc = v.doc
	params, err := v.s.GenerateParams(0)
	if err != nil {
		v.at(v.posOf("params"), "params: %v", err)
		return
	}
	r, err := v.s.Render(params, LabFacts{Name: "lab", Node: "controlplane", Provider: "local", NodeIP: "172.30.1.10"})
	if err != nil {
		v.at(v.posOf(), "rendering with sample parameters: %v", err)
		return
	}
	for i, st := range r.Stages {
		for j, c := range st.Checks {
			if err := c.CheckSpec.Validate(); err != nil {
				v.at(v.s.Stages[i].Checks[j].Pos, "stages[%d].checks[%d]: check %q: %v", i, j, c.Name, err)
			}
		}
	}
}

func (v *validator) validateParams() map[string]bool {
	names := map[string]bool{}
	for i, p := range v.s.Params {
		where := fmt.Sprintf("params[%d]", i)
		if p.Name != "" {
			if !paramNameRE.MatchString(p.Name) {
				v.at(p.Pos, "%s: parameter name %q must be letters, digits and '_', starting with a letter (it is used as {{.params.%s}})", where, p.Name, p.Name)
			}
			if names[p.Name] {
				v.at(p.Pos, "%s: duplicate parameter name %q", where, p.Name)
			}
			names[p.Name] = true
		}
		set := setFields(reflect.ValueOf(p), "Word", "RandomString", "OneOf", "Value", "Template")
		switch {
		case len(set) == 0:
			v.at(p.Pos, "%s: parameter %q has no generator: set one of word, randomString, oneOf, value, template", where, p.Name)
		case len(set) > 1:
			v.at(p.Pos, "%s: parameter %q sets %s: set exactly one generator", where, p.Name, strings.Join(set, " and "))
		}
		if p.RandomString != nil && (p.RandomString.Length < 1 || p.RandomString.Length > 64) {
			v.at(p.Pos, "%s: randomString.length is %d; use 1 to 64", where, p.RandomString.Length)
		}
		if p.OneOf != nil && len(p.OneOf) == 0 {
			v.at(p.Pos, "%s: oneOf needs at least one value", where)
		}
	}
	// Parameter templates: references and cycles.
	deps := map[string][]string{}
	for i, p := range v.s.Params {
		if p.Template == nil {
			continue
		}
		t, err := parseTemplate(p.Name, *p.Template)
		if err != nil {
			v.at(p.Pos, "params[%d]: template: %s", i, templateError(err))
			continue
		}
		for _, ref := range templateRefs(t) {
			if msg := checkRef(ref, names, false); msg != "" {
				v.at(p.Pos, "params[%d]: %s", i, msg)
			} else if ref[0] == "params" && len(ref) > 1 {
				deps[p.Name] = append(deps[p.Name], ref[1])
			}
		}
	}
	if _, err := paramOrder(v.s.Params, deps); err != nil {
		v.at(v.posOf("params"), "params: %v", err)
	}
	return names
}

func (v *validator) validateTemplates(doc *yaml.Node, params map[string]bool) {
	templatedScalars(doc, func(n *yaml.Node) {
		if !strings.Contains(n.Value, "{{") {
			return
		}
		t, err := parseTemplate("", n.Value)
		if err != nil {
			v.addf(n, "template: %s", templateError(err))
			return
		}
		for _, ref := range templateRefs(t) {
			if msg := checkRef(ref, params, true); msg != "" {
				v.addf(n, "%s", msg)
			}
		}
	})
}

// templateError drops text/template's "template: NAME:LINE:" prefix.
func templateError(err error) string {
	s := err.Error()
	if parts := strings.SplitN(s, ": ", 3); len(parts) == 3 && strings.HasPrefix(s, "template:") {
		return parts[2]
	}
	return s
}

var stepTypes = []string{"Namespace", "ConfigMap", "Secret", "Deployment", "Service", "Snapshot", "Delete", "Command", "WaitFor"}

func (v *validator) validateSteps(where string, steps []Step) {
	for i, st := range steps {
		w := fmt.Sprintf("%s[%d]", where, i)
		set := setFields(reflect.ValueOf(st), stepTypes...)
		switch {
		case len(set) == 0:
			v.at(st.Pos, "%s: step has no type: set one of namespace, configMap, secret, deployment, service, snapshot, delete, command, waitFor", w)
		case len(set) > 1:
			v.at(st.Pos, "%s: step sets %s: a step does exactly one thing", w, strings.Join(set, " and "))
		}
		if d := st.Delete; d != nil {
			if !slices.Contains(objectKinds, d.Kind) && d.Kind != "" {
				v.at(st.Pos, "%s: delete.kind %q is not one of %s", w, d.Kind, strings.Join(objectKinds, ", "))
			}
			if d.Kind != "Namespace" && d.Kind != "" && d.Namespace == "" {
				v.at(st.Pos, "%s: delete of a %s needs a namespace", w, d.Kind)
			}
		}
		if wf := st.WaitFor; wf != nil {
			if conds := []string{ConditionAPIServerReady, ConditionAPIServerNotReady, ConditionEtcdHealthy}; wf.Condition != "" && !slices.Contains(conds, wf.Condition) {
				v.at(st.Pos, "%s: waitFor.condition %q is not one of %s", w, wf.Condition, strings.Join(conds, ", "))
			}
			if wf.Timeout != "" {
				if d, err := time.ParseDuration(wf.Timeout); err != nil || d <= 0 {
					v.at(st.Pos, "%s: waitFor.timeout %q is not a positive duration like 2m", w, wf.Timeout)
				}
			}
		}
		if d := st.Deployment; d != nil && d.Replicas < 0 {
			v.at(st.Pos, "%s: deployment.replicas is negative", w)
		}
		if sv := st.Service; sv != nil && (sv.Port < 1 || sv.Port > 65535) {
			v.at(st.Pos, "%s: service.port is %d; a port is 1 to 65535", w, sv.Port)
		}
	}
}

// objectKinds are the kinds a delete step knows.
var objectKinds = []string{"Namespace", "ConfigMap", "Secret", "Deployment", "Service"}

// setFields returns the YAML names of the listed fields of struct v that
// are set (non-nil).
func setFields(v reflect.Value, fields ...string) []string {
	var set []string
	for _, f := range fields {
		fv := v.FieldByName(f)
		if !fv.IsNil() {
			sf, _ := v.Type().FieldByName(f)
			name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
			set = append(set, name)
		}
	}
	return set
}

// checkCleanupPath refuses paths whose removal would break the node.
func checkCleanupPath(p string) error {
	if !path.IsAbs(p) || path.Clean(p) != p {
		return fmt.Errorf("%q is not a clean absolute path", p)
	}
	if strings.Count(p, "/") < 2 || p == kubeadm.EtcdDataDir || strings.HasPrefix(p+"/", "/etc/") || strings.HasPrefix(p+"/", "/usr/") || strings.HasPrefix(p+"/", "/run/") {
		return fmt.Errorf("%q is a system path; cleanup removes only what a learner creates", p)
	}
	return nil
}
