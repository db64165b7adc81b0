package kubeadm

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

// requireHTTPSProbe checks a probe of kubeadm's staticpod package on the
// loopback's probe port.
func requireHTTPSProbe(t *testing.T, p *corev1.Probe, path string) {
	t.Helper()
	require.NotNil(t, p)
	require.Equal(t, "127.0.0.1", p.HTTPGet.Host)
	require.Equal(t, path, p.HTTPGet.Path)
	require.Equal(t, corev1.URISchemeHTTPS, p.HTTPGet.Scheme)
	require.Equal(t, "probe-port", p.HTTPGet.Port.String())
}

func TestControllerManagerManifest(t *testing.T) {
	pod := readPod(t, generate(t), "kube-controller-manager.yaml")
	require.Equal(t, map[string]string{"component": "kube-controller-manager", "tier": "control-plane"}, pod.Labels)
	c := pod.Spec.Containers[0]
	require.Equal(t, "kube-controller-manager", c.Command[0])
	require.Equal(t, "registry.k8s.io/kube-controller-manager:v1.37.2", c.Image)
	require.Equal(t, map[string]string{
		"authentication-kubeconfig":        "/etc/kubernetes/controller-manager.conf",
		"authorization-kubeconfig":         "/etc/kubernetes/controller-manager.conf",
		"bind-address":                     "127.0.0.1",
		"client-ca-file":                   "/etc/kubernetes/pki/ca.crt",
		"cluster-name":                     "kubernetes",
		"cluster-signing-cert-file":        "/etc/kubernetes/pki/ca.crt",
		"cluster-signing-key-file":         "/etc/kubernetes/pki/ca.key",
		"controllers":                      "*,bootstrapsigner,tokencleaner",
		"kubeconfig":                       "/etc/kubernetes/controller-manager.conf",
		"leader-elect":                     "true",
		"requestheader-client-ca-file":     "/etc/kubernetes/pki/front-proxy-ca.crt",
		"root-ca-file":                     "/etc/kubernetes/pki/ca.crt",
		"service-account-private-key-file": "/etc/kubernetes/pki/sa.key",
		"use-service-account-credentials":  "true",
	}, flags(t, c.Command))
	require.Equal(t, int32(10257), c.Ports[0].ContainerPort)
	requireHTTPSProbe(t, c.LivenessProbe, "/healthz")
	requireHTTPSProbe(t, c.StartupProbe, "/healthz")
	require.Nil(t, c.ReadinessProbe, "kubeadm gives the controller manager no readiness probe")
	kc := volume(pod, "kubeconfig")
	require.NotNil(t, kc)
	require.Equal(t, "/etc/kubernetes/controller-manager.conf", kc.HostPath.Path)
	require.Equal(t, corev1.HostPathFileOrCreate, *kc.HostPath.Type)
	require.Equal(t, "/etc/kubernetes/controller-manager.conf", mountPath(c, "kubeconfig"))
	require.Equal(t, "/etc/kubernetes/pki", mountPath(c, "k8s-certs"))
	for _, m := range c.VolumeMounts {
		require.True(t, m.ReadOnly, "mount %s", m.Name)
	}
}

func TestSchedulerManifest(t *testing.T) {
	pod := readPod(t, generate(t), "kube-scheduler.yaml")
	c := pod.Spec.Containers[0]
	require.Equal(t, "kube-scheduler", c.Command[0])
	require.Equal(t, map[string]string{
		"authentication-kubeconfig": "/etc/kubernetes/scheduler.conf",
		"authorization-kubeconfig":  "/etc/kubernetes/scheduler.conf",
		"bind-address":              "127.0.0.1",
		"kubeconfig":                "/etc/kubernetes/scheduler.conf",
		"leader-elect":              "true",
	}, flags(t, c.Command))
	require.Equal(t, int32(10259), c.Ports[0].ContainerPort)
	requireHTTPSProbe(t, c.LivenessProbe, "/livez")
	requireHTTPSProbe(t, c.ReadinessProbe, "/readyz")
	requireHTTPSProbe(t, c.StartupProbe, "/livez")
	require.Len(t, pod.Spec.Volumes, 1)
	require.Equal(t, "/etc/kubernetes/scheduler.conf", mountPath(c, "kubeconfig"))
}

func TestGenerateWritesOnlyTheComponentsAsked(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, Generate(root, Config{NodeIP: testNodeIP, Components: []string{"kube-apiserver", "etcd"}}))
	entries, err := os.ReadDir(filepath.Join(root, "etc/kubernetes/manifests"))
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	require.Equal(t, []string{"etcd.yaml", "kube-apiserver.yaml"}, names)
	// The kubeconfigs are kubeadm's whatever runs: a learner can bring a
	// component back by writing its manifest.
	require.FileExists(t, filepath.Join(root, "etc/kubernetes/scheduler.conf"))
	require.FileExists(t, filepath.Join(root, "etc/kubernetes/controller-manager.conf"))
}
