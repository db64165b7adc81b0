package grader

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ckat/ckat/grader/internal/etcddata"
)

// knownKind is a kind an ObjectRef may name without an apiVersion.
type knownKind struct {
	apiVersion string
	resource   string
	namespaced bool
}

// knownKinds are the kinds whose apiVersion defaults, with the resource
// that serves them and their scope, fixed by the Kubernetes API: the
// objects check maps them without asking the API server's discovery.
var knownKinds = map[string]knownKind{
	"Namespace":  {"v1", "namespaces", false},
	"ConfigMap":  {"v1", "configmaps", true},
	"Secret":     {"v1", "secrets", true},
	"Service":    {"v1", "services", true},
	"Pod":        {"v1", "pods", true},
	"Node":       {"v1", "nodes", false},
	"Deployment": {"apps/v1", "deployments", true},
}

// Kinds whose contents an ObjectRef can compare.
var (
	gkConfigMap  = schema.GroupKind{Kind: "ConfigMap"}
	gkSecret     = schema.GroupKind{Kind: "Secret"}
	gkService    = schema.GroupKind{Kind: "Service"}
	gkDeployment = schema.GroupKind{Group: "apps", Kind: "Deployment"}
	gkPod        = schema.GroupKind{Kind: "Pod"}
	gkNode       = schema.GroupKind{Kind: "Node"}
)

// GVK is the reference's group, version and kind, with the apiVersion
// defaulted for a known kind. It fails for a kind that is not built in.
func (r ObjectRef) GVK() (schema.GroupVersionKind, error) {
	av := r.APIVersion
	if av == "" {
		k, ok := knownKinds[r.Kind]
		if !ok {
			return schema.GroupVersionKind{}, fmt.Errorf("apiVersion is required for a %s (it may be left out only for %s)", r.Kind, strings.Join(knownKindNames(), ", "))
		}
		av = k.apiVersion
	}
	gv, err := schema.ParseGroupVersion(av)
	if err != nil {
		return schema.GroupVersionKind{}, fmt.Errorf("apiVersion %q: %w", av, err)
	}
	gvk := gv.WithKind(r.Kind)
	if _, err := etcddata.Resource(gvk); err != nil {
		return schema.GroupVersionKind{}, err
	}
	return gvk, nil
}

// knownKindNames lists knownKinds in order.
func knownKindNames() []string {
	return etcddata.SortedKeys(knownKinds)
}

// staticRESTMapper maps the known kinds without discovery.
func staticRESTMapper() meta.RESTMapper {
	m := meta.NewDefaultRESTMapper(nil)
	for kind, k := range knownKinds {
		gv, _ := schema.ParseGroupVersion(k.apiVersion)
		scope := meta.RESTScopeRoot
		if k.namespaced {
			scope = meta.RESTScopeNamespace
		}
		m.AddSpecific(gv.WithKind(kind), gv.WithResource(k.resource), gv.WithResource(strings.ToLower(kind)), scope)
	}
	return m
}

// validateRefs adds what is wrong with a check's object references to p,
// sorted. Live is set for the objects check, which looks at the running
// cluster: replicas and nodeName are what its controllers did, and a
// node's taints are not in a snapshot's objects as the check reads them, so
// only it compares them.
func validateRefs(p *fieldProblems, present, absent []ObjectRef, live bool) {
	var errs []error
	for list, refs := range map[string][]ObjectRef{"present": present, "absent": absent} {
		for i, ref := range refs {
			field := fmt.Sprintf("%s.%s[%d]", p.check, list, i)
			errs = append(errs, validateRef(field, ref)...)
			for name, set := range map[string]bool{"replicas": ref.Replicas != nil, "nodeName": ref.NodeName != "", "taints": ref.Taints != nil} {
				switch {
				case set && !live:
					errs = append(errs, fmt.Errorf("%s.%s is compared by the objects check only, on the running cluster", field, name))
				case set && list == "absent":
					errs = append(errs, fmt.Errorf("%s.%s means nothing for an object that must be absent", field, name))
				}
			}
		}
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	p.errs = append(p.errs, errs...)
}

func validateRef(field string, ref ObjectRef) []error {
	if ref.Kind == "" {
		return []error{fmt.Errorf("%s.kind is required", field)}
	}
	gvk, err := ref.GVK()
	if err != nil {
		return []error{fmt.Errorf("%s: %v", field, err)}
	}
	var errs []error
	known, isKnown := knownKinds[ref.Kind]
	isKnown = isKnown && gvk.GroupVersion().String() == known.apiVersion
	switch {
	case ref.Name == "":
		errs = append(errs, fmt.Errorf("%s.name is required", field))
	case isKnown && known.namespaced && ref.Namespace == "":
		errs = append(errs, fmt.Errorf("%s.namespace is required for a %s", field, ref.Kind))
	case isKnown && !known.namespaced && ref.Namespace != "":
		errs = append(errs, fmt.Errorf("%s.namespace must be empty for a %s", field, ref.Kind))
	}
	gk := gvk.GroupKind()
	if len(ref.Data) > 0 && gk != gkConfigMap && gk != gkSecret {
		errs = append(errs, fmt.Errorf("%s.data is for a ConfigMap or Secret, not a %s", field, ref.Kind))
	}
	if ref.Image != "" && gk != gkDeployment {
		errs = append(errs, fmt.Errorf("%s.image is for a Deployment, not a %s", field, ref.Kind))
	}
	switch {
	case ref.Replicas != nil && gk != gkDeployment:
		errs = append(errs, fmt.Errorf("%s.replicas is for a Deployment, not a %s", field, ref.Kind))
	case ref.Replicas != nil && *ref.Replicas < 0:
		errs = append(errs, fmt.Errorf("%s.replicas is %d; it must not be negative", field, *ref.Replicas))
	}
	if ref.NodeName != "" && gk != gkPod {
		errs = append(errs, fmt.Errorf("%s.nodeName is for a Pod, not a %s", field, ref.Kind))
	}
	if ref.Taints != nil && gk != gkNode {
		errs = append(errs, fmt.Errorf("%s.taints is for a Node, not a %s", field, ref.Kind))
	}
	for i, taint := range ref.Taints {
		if err := validateTaint(taint); err != nil {
			errs = append(errs, fmt.Errorf("%s.taints[%d]: %v", field, i, err))
		}
	}
	switch {
	case ref.Port != 0 && gk != gkService:
		errs = append(errs, fmt.Errorf("%s.port is for a Service, not a %s", field, ref.Kind))
	case ref.Port < 0 || ref.Port > 65535:
		errs = append(errs, fmt.Errorf("%s.port is %d; a port is 1 to 65535", field, ref.Port))
	}
	return errs
}

// String names the object as kubectl would: "configmap default/app-config".
func (r ObjectRef) String() string {
	kind := strings.ToLower(r.Kind)
	if gv, err := schema.ParseGroupVersion(r.APIVersion); err == nil && gv.Group != "" && gv.Group != "apps" {
		kind += "." + gv.Group
	}
	if r.Namespace == "" {
		return kind + " " + r.Name
	}
	return fmt.Sprintf("%s %s/%s", kind, r.Namespace, r.Name)
}

// refName is "Secret shop/db".
func refName(r ObjectRef) string {
	if r.Namespace == "" {
		return r.Kind + " " + r.Name
	}
	return r.Kind + " " + r.Namespace + "/" + r.Name
}
