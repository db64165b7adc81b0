package etcddata

import (
	"fmt"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
)

// resources maps the kinds graded in etcd to their storage resource.
var resources = map[string]string{
	"Namespace":  "namespaces",
	"ConfigMap":  "configmaps",
	"Secret":     "secrets",
	"Deployment": "deployments",
}

// StorageKey is where the API server keeps an object in etcd:
// /registry/<resource>/<namespace>/<name>, or /registry/namespaces/<name>.
func StorageKey(kind, namespace, name string) (string, error) {
	res, ok := resources[kind]
	if !ok {
		return "", fmt.Errorf("kind %q is not one of Namespace, ConfigMap, Secret, Deployment", kind)
	}
	if kind == "Namespace" {
		return "/registry/" + res + "/" + name, nil
	}
	if namespace == "" {
		namespace = "default"
	}
	return "/registry/" + res + "/" + namespace + "/" + name, nil
}

// Object is a Kubernetes object decoded from its etcd value.
type Object struct {
	Kind string
	// Data is a ConfigMap's data and binaryData, or a Secret's data, as text.
	Data map[string]string
	// Image is a Deployment's first container image.
	Image string
}

// DecodeObject decodes a value the API server stored ("k8s\x00" and a
// protobuf runtime.Unknown, or JSON) with client-go's scheme codecs.
func DecodeObject(value []byte) (*Object, error) {
	obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(value, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("not a Kubernetes object the scheme knows: %w", err)
	}
	return fromRuntime(obj)
}

func fromRuntime(obj runtime.Object) (*Object, error) {
	switch o := obj.(type) {
	case *corev1.Namespace:
		return &Object{Kind: "Namespace"}, nil
	case *corev1.ConfigMap:
		data := map[string]string{}
		for k, v := range o.Data {
			data[k] = v
		}
		for k, v := range o.BinaryData {
			data[k] = string(v)
		}
		return &Object{Kind: "ConfigMap", Data: data}, nil
	case *corev1.Secret:
		data := map[string]string{}
		for k, v := range o.Data {
			data[k] = string(v)
		}
		return &Object{Kind: "Secret", Data: data}, nil
	case *appsv1.Deployment:
		out := &Object{Kind: "Deployment"}
		if cs := o.Spec.Template.Spec.Containers; len(cs) > 0 {
			out.Image = cs[0].Image
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected object type %T", obj)
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
