package etcddata

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
)

// specialPrefixes are the resources kube-apiserver v1.37 does not store
// under their own name: SpecialDefaultResourcePrefixes in
// k8s.io/kubernetes pkg/kubeapiserver/default_storage_factory_builder.go.
var specialPrefixes = map[schema.GroupResource]string{
	{Group: "", Resource: "replicationcontrollers"}:     "controllers",
	{Group: "", Resource: "endpoints"}:                  "services/endpoints",
	{Group: "", Resource: "nodes"}:                      "minions",
	{Group: "", Resource: "services"}:                   "services/specs",
	{Group: "extensions", Resource: "ingresses"}:        "ingress",
	{Group: "networking.k8s.io", Resource: "ingresses"}: "ingress",
}

// Resource is the API resource that serves a built-in kind (one client-go's
// scheme knows): its lower-case plural, as every built-in kind's registry
// names it, except Endpoints, whose kind is already plural.
func Resource(gvk schema.GroupVersionKind) (schema.GroupVersionResource, error) {
	if !scheme.Scheme.Recognizes(gvk) {
		return schema.GroupVersionResource{}, fmt.Errorf("%s is not a built-in kind in %s", gvk.Kind, gvk.GroupVersion())
	}
	if gvk.Group == "" && gvk.Kind == "Endpoints" {
		return gvk.GroupVersion().WithResource("endpoints"), nil
	}
	plural, _ := meta.UnsafeGuessKindToResource(gvk)
	return plural, nil
}

// StorageKey is where the API server keeps an object of a built-in kind
// in etcd: /registry/<prefix>/<namespace>/<name>, or
// /registry/<prefix>/<name> when namespace is empty (a cluster-scoped
// kind). The prefix is the resource's name, or kube-apiserver's own
// special prefix (services are under /registry/services/specs/).
func StorageKey(gvk schema.GroupVersionKind, namespace, name string) (string, error) {
	res, err := Resource(gvk)
	if err != nil {
		return "", err
	}
	prefix, ok := specialPrefixes[res.GroupResource()]
	if !ok {
		prefix = res.Resource
	}
	if namespace == "" {
		return "/registry/" + prefix + "/" + name, nil
	}
	return "/registry/" + prefix + "/" + namespace + "/" + name, nil
}

// Object is what the grader compares of a Kubernetes object, read alike
// from an etcd value and from the API server's JSON.
type Object struct {
	// GroupKind is the object's kind and API group ("Deployment.apps").
	GroupKind schema.GroupKind
	// Data is a ConfigMap's data and binaryData, or a Secret's data, as
	// text.
	Data map[string]string
	// Image is a Deployment's first container image ("(no containers)"
	// when it has none).
	Image string
	// Ports are a Service's spec.ports[*].port.
	Ports []int64
	// Replicas is a Deployment's spec.replicas, 1 when unset as the API
	// server defaults it (k8s.io/kubernetes pkg/apis/apps/v1
	// SetDefaults_Deployment): the total `kubectl get deployment` shows
	// under READY.
	Replicas int64
	// UpdatedReplicas is a Deployment's status.updatedReplicas, its
	// UP-TO-DATE column: only the Deployment controller sets it.
	UpdatedReplicas int64
	// NodeName is a Pod's spec.nodeName, the node it is scheduled to (the
	// NODE column of `kubectl get pod -o wide`); "" while unscheduled.
	NodeName string
	// Tolerations are a Pod's spec.tolerations.
	Tolerations []corev1.Toleration
	// Taints are a Node's spec.taints (`kubectl describe node`'s Taints).
	Taints []corev1.Taint
}

// DecodeObject decodes a value the API server stored ("k8s\x00" and a
// protobuf runtime.Unknown, or JSON) with client-go's scheme codecs.
func DecodeObject(value []byte) (*Object, error) {
	obj, gvk, err := scheme.Codecs.UniversalDeserializer().Decode(value, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("not a Kubernetes object the scheme knows: %w", err)
	}
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", gvk.Kind, err)
	}
	out := &unstructured.Unstructured{Object: u}
	out.SetGroupVersionKind(*gvk)
	return FromUnstructured(out)
}

// FromUnstructured reads what the grader compares from an object in the
// API's JSON form, as the dynamic client returns it.
func FromUnstructured(u *unstructured.Unstructured) (*Object, error) {
	gk := u.GroupVersionKind().GroupKind()
	out := &Object{GroupKind: gk}
	switch gk {
	case schema.GroupKind{Kind: "ConfigMap"}:
		data, err := stringMap(u.Object, "data", false)
		if err != nil {
			return nil, err
		}
		binary, err := stringMap(u.Object, "binaryData", true)
		if err != nil {
			return nil, err
		}
		for k, v := range binary {
			data[k] = v
		}
		out.Data = data
	case schema.GroupKind{Kind: "Secret"}:
		data, err := stringMap(u.Object, "data", true)
		if err != nil {
			return nil, err
		}
		out.Data = data
	case schema.GroupKind{Group: "apps", Kind: "Deployment"}:
		out.Image = "(no containers)"
		cs, err := nestedSlice(u.Object, "spec", "template", "spec", "containers")
		if err != nil {
			return nil, err
		}
		if len(cs) > 0 {
			c, _ := cs[0].(map[string]any)
			out.Image, _, _ = unstructured.NestedString(c, "image")
		}
		out.Replicas = 1
		if v, ok, _ := unstructured.NestedFieldNoCopy(u.Object, "spec", "replicas"); ok && v != nil {
			if n, ok := asInt(v); ok {
				out.Replicas = n
			}
		}
		if v, ok, _ := unstructured.NestedFieldNoCopy(u.Object, "status", "updatedReplicas"); ok {
			out.UpdatedReplicas, _ = asInt(v)
		}
	case schema.GroupKind{Kind: "Pod"}:
		out.NodeName, _, _ = unstructured.NestedString(u.Object, "spec", "nodeName")
		if err := convertField(u.Object, &out.Tolerations, "spec", "tolerations"); err != nil {
			return nil, err
		}
	case schema.GroupKind{Kind: "Node"}:
		if err := convertField(u.Object, &out.Taints, "spec", "taints"); err != nil {
			return nil, err
		}
	case schema.GroupKind{Kind: "Service"}:
		ports, err := nestedSlice(u.Object, "spec", "ports")
		if err != nil {
			return nil, err
		}
		for _, p := range ports {
			pm, _ := p.(map[string]any)
			if n, ok, _ := unstructured.NestedFieldNoCopy(pm, "port"); ok {
				if v, ok := asInt(n); ok {
					out.Ports = append(out.Ports, v)
				}
			}
		}
	}
	return out, nil
}

// convertField decodes the list at fields into into, a pointer to a slice
// of API types; a missing or null list leaves it empty.
func convertField[T any](obj map[string]any, into *[]T, fields ...string) error {
	items, err := nestedSlice(obj, fields...)
	if err != nil {
		return err
	}
	for i, item := range items {
		m, ok := item.(map[string]any)
		if !ok {
			return fmt.Errorf("%s[%d] is not an object", strings.Join(fields, "."), i)
		}
		var v T
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, &v); err != nil {
			return fmt.Errorf("%s[%d]: %w", strings.Join(fields, "."), i, err)
		}
		*into = append(*into, v)
	}
	return nil
}

// nestedSlice reads the list at fields; a missing or null one is empty.
func nestedSlice(obj map[string]any, fields ...string) ([]any, error) {
	v, ok, err := unstructured.NestedFieldNoCopy(obj, fields...)
	if err != nil || !ok || v == nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s is a %T, not a list", strings.Join(fields, "."), v)
	}
	return list, nil
}

// stringMap reads a map of strings at field; with base64 set its values
// are base64, as []byte fields are in JSON.
func stringMap(obj map[string]any, field string, b64 bool) (map[string]string, error) {
	out := map[string]string{}
	if obj[field] == nil {
		return out, nil
	}
	m, _, err := unstructured.NestedStringMap(obj, field)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	for k, v := range m {
		if b64 {
			raw, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				return nil, fmt.Errorf("%s.%s is not base64: %w", field, k, err)
			}
			v = string(raw)
		}
		out[k] = v
	}
	return out, nil
}

// asInt reads a JSON number: int64 from the converter, float64 or int64
// from a JSON decoder.
func asInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int32:
		return int64(n), true
	case int:
		return int64(n), true
	case float64:
		return int64(n), true
	}
	return 0, false
}

// SortedKeys returns m's keys in order.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
