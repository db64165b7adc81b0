package scenarios

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLabFactsAreKubeadmsLayout pins what a task may say about the node to
// kubeadm's paths, as literals: a learner reads them in the task's text and
// types them on the node.
func TestLabFactsAreKubeadmsLayout(t *testing.T) {
	require.Equal(t, map[string]any{
		"name":              "lab1",
		"node":              "controlplane",
		"provider":          "kind",
		"nodeIP":            "172.18.0.2",
		"etcdEndpoint":      "https://127.0.0.1:2379",
		"manifestDir":       "/etc/kubernetes/manifests",
		"etcdManifest":      "/etc/kubernetes/manifests/etcd.yaml",
		"apiServerManifest": "/etc/kubernetes/manifests/kube-apiserver.yaml",
		"dataDir":           "/var/lib/etcd",
		"kubeletConfig":     "/var/lib/kubelet/config.yaml",
		"certs": map[string]any{
			"ca":   "/etc/kubernetes/pki/etcd/ca.crt",
			"cert": "/etc/kubernetes/pki/etcd/server.crt",
			"key":  "/etc/kubernetes/pki/etcd/server.key",
		},
	}, LabFacts{Name: "lab1", Node: "controlplane", Provider: "kind", NodeIP: "172.18.0.2"}.data())
}
