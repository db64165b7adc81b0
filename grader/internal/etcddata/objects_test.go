package etcddata_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/ckat/ckat/grader/internal/etcddata"
)

func TestStorageKey(t *testing.T) {
	tests := []struct {
		gvk       schema.GroupVersionKind
		namespace string
		want      string
		err       string
	}{
		{gvk: schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, namespace: "shop", want: "/registry/configmaps/shop/x"},
		{gvk: schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}, want: "/registry/namespaces/x"},
		{gvk: schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, namespace: "shop", want: "/registry/deployments/shop/x"},
		{gvk: schema.GroupVersionKind{Version: "v1", Kind: "Service"}, namespace: "shop", want: "/registry/services/specs/shop/x"},
		{gvk: schema.GroupVersionKind{Version: "v1", Kind: "Endpoints"}, namespace: "shop", want: "/registry/services/endpoints/shop/x"},
		{gvk: schema.GroupVersionKind{Version: "v1", Kind: "Node"}, want: "/registry/minions/x"},
		{gvk: schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "Ingress"}, namespace: "shop", want: "/registry/ingress/shop/x"},
		{gvk: schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "NetworkPolicy"}, namespace: "shop", want: "/registry/networkpolicies/shop/x"},
		{gvk: schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole"}, want: "/registry/clusterroles/x"},
		{gvk: schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}, err: "Widget is not a built-in kind in example.com/v1"},
	}
	for _, tt := range tests {
		t.Run(tt.gvk.String(), func(t *testing.T) {
			got, err := etcddata.StorageKey(tt.gvk, tt.namespace, "x")
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("StorageKey = %q, %v; want error %q", got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("StorageKey = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// protobuf encodes obj as the API server stores it: "k8s\x00" and a
// runtime.Unknown.
func protobuf(t *testing.T, obj runtime.Object) []byte {
	t.Helper()
	info, ok := runtime.SerializerInfoForMediaType(scheme.Codecs.SupportedMediaTypes(), runtime.ContentTypeProtobuf)
	if !ok {
		t.Fatal("no protobuf serializer")
	}
	gvks, _, err := scheme.Scheme.ObjectKinds(obj)
	if err != nil {
		t.Fatal(err)
	}
	value, err := runtime.Encode(scheme.Codecs.EncoderForVersion(info.Serializer, gvks[0].GroupVersion()), obj)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(value, []byte("k8s\x00")) {
		t.Fatalf("value %q does not start as the API server's do", value[:8])
	}
	return value
}

func TestDecodeObject(t *testing.T) {
	meta := metav1.ObjectMeta{Namespace: "shop", Name: "x"}
	tests := []struct {
		name string
		obj  runtime.Object
		want etcddata.Object
	}{
		{"configmap data and binaryData", &corev1.ConfigMap{ObjectMeta: meta, Data: map[string]string{"mode": "blue"}, BinaryData: map[string][]byte{"bin": []byte("raw\x00")}},
			etcddata.Object{GroupKind: schema.GroupKind{Kind: "ConfigMap"}, Data: map[string]string{"mode": "blue", "bin": "raw\x00"}}},
		{"secret", &corev1.Secret{ObjectMeta: meta, Data: map[string][]byte{"password": []byte("s3cr3t")}},
			etcddata.Object{GroupKind: schema.GroupKind{Kind: "Secret"}, Data: map[string]string{"password": "s3cr3t"}}},
		{"deployment", &appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "a", Image: "nginx:1.27"}, {Name: "b", Image: "busybox"}}}}}},
			etcddata.Object{GroupKind: schema.GroupKind{Group: "apps", Kind: "Deployment"}, Image: "nginx:1.27", Replicas: 1}},
		{"deployment without containers", &appsv1.Deployment{ObjectMeta: meta},
			etcddata.Object{GroupKind: schema.GroupKind{Group: "apps", Kind: "Deployment"}, Image: "(no containers)", Replicas: 1}},
		{"deployment scaled, its status behind", &appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{Replicas: int32Ptr(3)},
			Status: appsv1.DeploymentStatus{Replicas: 1, UpdatedReplicas: 1}},
			etcddata.Object{GroupKind: schema.GroupKind{Group: "apps", Kind: "Deployment"}, Image: "(no containers)", Replicas: 3, UpdatedReplicas: 1}},
		{"deployment scaled to zero", &appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{Replicas: int32Ptr(0)}},
			etcddata.Object{GroupKind: schema.GroupKind{Group: "apps", Kind: "Deployment"}, Image: "(no containers)", Replicas: 0}},
		{"pod scheduled", &corev1.Pod{ObjectMeta: meta, Spec: corev1.PodSpec{NodeName: "controlplane"}},
			etcddata.Object{GroupKind: schema.GroupKind{Kind: "Pod"}, NodeName: "controlplane"}},
		{"pod pending", &corev1.Pod{ObjectMeta: meta},
			etcddata.Object{GroupKind: schema.GroupKind{Kind: "Pod"}}},
		{"service", &corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}, {Port: 443}}}},
			etcddata.Object{GroupKind: schema.GroupKind{Kind: "Service"}, Ports: []int64{80, 443}}},
		{"any other kind", &networkingv1.NetworkPolicy{ObjectMeta: meta},
			etcddata.Object{GroupKind: schema.GroupKind{Group: "networking.k8s.io", Kind: "NetworkPolicy"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := etcddata.DecodeObject(protobuf(t, tt.obj))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("from etcd: %+v, want %+v", *got, tt.want)
			}
			// The API server's JSON, as the dynamic client decodes it,
			// reads the same.
			gvks, _, err := scheme.Scheme.ObjectKinds(tt.obj)
			if err != nil {
				t.Fatal(err)
			}
			tt.obj.GetObjectKind().SetGroupVersionKind(gvks[0])
			raw, err := json.Marshal(tt.obj)
			if err != nil {
				t.Fatal(err)
			}
			u := &unstructured.Unstructured{}
			if err := u.UnmarshalJSON(raw); err != nil {
				t.Fatal(err)
			}
			got, err = etcddata.FromUnstructured(u)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("from JSON: %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestDecodeObjectRejects(t *testing.T) {
	if _, err := etcddata.DecodeObject([]byte("k8s\x00garbage")); err == nil || !strings.Contains(err.Error(), "not a Kubernetes object the scheme knows") {
		t.Errorf("DecodeObject(garbage) = %v, want an error naming it", err)
	}
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Secret", "data": map[string]any{"k": "not base64!"}}}
	if _, err := etcddata.FromUnstructured(u); err == nil || !strings.Contains(err.Error(), "data.k is not base64") {
		t.Errorf("FromUnstructured(bad secret) = %v, want an error naming the key", err)
	}
}

func int32Ptr(n int32) *int32 { return &n }
