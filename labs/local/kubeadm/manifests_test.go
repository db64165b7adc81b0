package kubeadm

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// readPod parses a generated manifest strictly: an unknown or misspelt
// field is an error.
func readPod(t *testing.T, root, name string) *corev1.Pod {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "etc/kubernetes/manifests", name))
	require.NoError(t, err)
	var pod corev1.Pod
	require.NoError(t, yaml.UnmarshalStrict(data, &pod), name)
	return &pod
}

// flags maps a container command's --name=value flags.
func flags(t *testing.T, command []string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, arg := range command[1:] {
		name, value, ok := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
		require.True(t, ok && strings.HasPrefix(arg, "--"), "argument %q is not --name=value", arg)
		_, dup := m[name]
		require.False(t, dup, "flag --%s given twice", name)
		m[name] = value
	}
	require.True(t, slices.IsSorted(command[1:]), "kubeadm sorts the flags: %v", command[1:])
	return m
}

func volume(pod *corev1.Pod, name string) *corev1.Volume {
	for i := range pod.Spec.Volumes {
		if pod.Spec.Volumes[i].Name == name {
			return &pod.Spec.Volumes[i]
		}
	}
	return nil
}

func mountPath(c corev1.Container, name string) string {
	for _, m := range c.VolumeMounts {
		if m.Name == name {
			return m.MountPath
		}
	}
	return ""
}

// requireStaticPod checks what kubeadm's ComponentPod gives every control-plane pod.
func requireStaticPod(t *testing.T, pod *corev1.Pod, name string) corev1.Container {
	t.Helper()
	require.Equal(t, "v1", pod.APIVersion)
	require.Equal(t, "Pod", pod.Kind)
	require.Equal(t, name, pod.Name)
	require.Equal(t, "kube-system", pod.Namespace)
	require.Equal(t, map[string]string{"component": name, "tier": "control-plane"}, pod.Labels)
	require.True(t, pod.Spec.HostNetwork)
	require.Equal(t, "system-node-critical", pod.Spec.PriorityClassName)
	require.NotNil(t, pod.Spec.Priority)
	require.EqualValues(t, 2000001000, *pod.Spec.Priority)
	require.Equal(t, corev1.SeccompProfileTypeRuntimeDefault, pod.Spec.SecurityContext.SeccompProfile.Type)
	require.Len(t, pod.Spec.Containers, 1)
	c := pod.Spec.Containers[0]
	require.Equal(t, name, c.Name)
	require.Equal(t, name, c.Command[0])
	for _, v := range pod.Spec.Volumes {
		require.NotNil(t, v.HostPath, "volume %s", v.Name)
		require.Equal(t, corev1.HostPathDirectoryOrCreate, *v.HostPath.Type, "volume %s", v.Name)
		require.Equal(t, v.HostPath.Path, mountPath(c, v.Name), "volume %s is mounted at its host path", v.Name)
	}
	for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
		require.NotNil(t, p)
		require.Equal(t, "probe-port", p.HTTPGet.Port.String())
	}
	require.Equal(t, "probe-port", c.Ports[0].Name)
	return c
}

func TestEtcdManifest(t *testing.T) {
	root := generate(t)
	pod := readPod(t, root, "etcd.yaml")
	c := requireStaticPod(t, pod, "etcd")

	data := volume(pod, "etcd-data")
	require.NotNil(t, data, "etcd-data volume")
	require.Equal(t, "/var/lib/etcd", data.HostPath.Path)
	require.Equal(t, "/var/lib/etcd", mountPath(c, "etcd-data"))
	certs := volume(pod, "etcd-certs")
	require.NotNil(t, certs, "etcd-certs volume")
	require.Equal(t, "/etc/kubernetes/pki/etcd", certs.HostPath.Path)
	require.Len(t, pod.Spec.Volumes, 2)

	require.Equal(t, map[string]string{
		"advertise-client-urls":          "https://172.30.7.10:2379",
		"cert-file":                      "/etc/kubernetes/pki/etcd/server.crt",
		"client-cert-auth":               "true",
		"data-dir":                       "/var/lib/etcd",
		"feature-gates":                  "InitialCorruptCheck=true",
		"initial-advertise-peer-urls":    "https://172.30.7.10:2380",
		"initial-cluster":                "controlplane=https://172.30.7.10:2380",
		"key-file":                       "/etc/kubernetes/pki/etcd/server.key",
		"listen-client-urls":             "https://127.0.0.1:2379,https://172.30.7.10:2379",
		"listen-metrics-urls":            "http://127.0.0.1:2381",
		"listen-peer-urls":               "https://172.30.7.10:2380",
		"name":                           "controlplane",
		"peer-cert-file":                 "/etc/kubernetes/pki/etcd/peer.crt",
		"peer-client-cert-auth":          "true",
		"peer-key-file":                  "/etc/kubernetes/pki/etcd/peer.key",
		"peer-trusted-ca-file":           "/etc/kubernetes/pki/etcd/ca.crt",
		"snapshot-count":                 "10000",
		"trusted-ca-file":                "/etc/kubernetes/pki/etcd/ca.crt",
		"watch-progress-notify-interval": "5s",
	}, flags(t, c.Command))
	require.Equal(t, "https://172.30.7.10:2379", pod.Annotations[EtcdAdvertiseClientURLsAnnotation])
	require.Equal(t, "registry.k8s.io/etcd:3.7.3-0", c.Image)
	require.EqualValues(t, 2381, c.Ports[0].ContainerPort)
	require.Equal(t, "127.0.0.1", c.LivenessProbe.HTTPGet.Host)
	require.Equal(t, corev1.URISchemeHTTP, c.LivenessProbe.HTTPGet.Scheme)
	require.Equal(t, "/livez", c.LivenessProbe.HTTPGet.Path)
	require.Equal(t, "/readyz", c.ReadinessProbe.HTTPGet.Path)
	require.EqualValues(t, 24, c.StartupProbe.FailureThreshold)
	requireFilesExist(t, root, c.Command)
}

func TestAPIServerManifest(t *testing.T) {
	root := generate(t)
	pod := readPod(t, root, "kube-apiserver.yaml")
	c := requireStaticPod(t, pod, "kube-apiserver")

	var names []string
	for _, v := range pod.Spec.Volumes {
		names = append(names, v.Name+"="+v.HostPath.Path)
	}
	require.Equal(t, []string{
		"ca-certs=/etc/ssl/certs",
		"etc-ca-certificates=/etc/ca-certificates",
		"k8s-certs=/etc/kubernetes/pki",
		"usr-local-share-ca-certificates=/usr/local/share/ca-certificates",
		"usr-share-ca-certificates=/usr/share/ca-certificates",
	}, names)
	for _, m := range c.VolumeMounts {
		require.True(t, m.ReadOnly, "mount %s is read-only", m.Name)
	}

	require.Equal(t, map[string]string{
		"advertise-address":                  "172.30.7.10",
		"allow-privileged":                   "true",
		"authorization-mode":                 "Node,RBAC",
		"client-ca-file":                     "/etc/kubernetes/pki/ca.crt",
		"enable-admission-plugins":           "NodeRestriction",
		"enable-bootstrap-token-auth":        "true",
		"etcd-cafile":                        "/etc/kubernetes/pki/etcd/ca.crt",
		"etcd-certfile":                      "/etc/kubernetes/pki/apiserver-etcd-client.crt",
		"etcd-keyfile":                       "/etc/kubernetes/pki/apiserver-etcd-client.key",
		"etcd-servers":                       "https://127.0.0.1:2379",
		"kubelet-client-certificate":         "/etc/kubernetes/pki/apiserver-kubelet-client.crt",
		"kubelet-client-key":                 "/etc/kubernetes/pki/apiserver-kubelet-client.key",
		"kubelet-preferred-address-types":    "InternalIP,ExternalIP,Hostname",
		"proxy-client-cert-file":             "/etc/kubernetes/pki/front-proxy-client.crt",
		"proxy-client-key-file":              "/etc/kubernetes/pki/front-proxy-client.key",
		"requestheader-allowed-names":        "front-proxy-client",
		"requestheader-client-ca-file":       "/etc/kubernetes/pki/front-proxy-ca.crt",
		"requestheader-extra-headers-prefix": "X-Remote-Extra-",
		"requestheader-group-headers":        "X-Remote-Group",
		"requestheader-username-headers":     "X-Remote-User",
		"secure-port":                        "6443",
		"service-account-issuer":             "https://kubernetes.default.svc.cluster.local",
		"service-account-key-file":           "/etc/kubernetes/pki/sa.pub",
		"service-account-signing-key-file":   "/etc/kubernetes/pki/sa.key",
		"service-cluster-ip-range":           "10.96.0.0/12",
		"tls-cert-file":                      "/etc/kubernetes/pki/apiserver.crt",
		"tls-private-key-file":               "/etc/kubernetes/pki/apiserver.key",
	}, flags(t, c.Command))
	require.Equal(t, "172.30.7.10:6443", pod.Annotations[APIServerEndpointAnnotation])
	require.Equal(t, "registry.k8s.io/kube-apiserver:v1.37.2", c.Image)
	require.EqualValues(t, 6443, c.Ports[0].ContainerPort)
	require.Equal(t, "172.30.7.10", c.ReadinessProbe.HTTPGet.Host)
	require.Equal(t, corev1.URISchemeHTTPS, c.ReadinessProbe.HTTPGet.Scheme)
	requireFilesExist(t, root, c.Command)
}

// requireFilesExist checks that every /etc/kubernetes path a flag names was generated.
func requireFilesExist(t *testing.T, root string, command []string) {
	t.Helper()
	for name, value := range flags(t, command) {
		if strings.HasPrefix(value, "/etc/kubernetes/") {
			require.FileExists(t, filepath.Join(root, value), "--%s", name)
		}
	}
}

func TestManifestsFollowConfig(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, Generate(root, Config{
		NodeName: "cp-2", NodeIP: "10.1.2.3", KubernetesVersion: "v1.36.0",
		EtcdImage: "example.test/etcd:3.6.5-0", ServiceCIDR: "10.100.0.0/16",
	}))
	etcd := readPod(t, root, "etcd.yaml")
	ef := flags(t, etcd.Spec.Containers[0].Command)
	require.Equal(t, "cp-2", ef["name"])
	require.Equal(t, "cp-2=https://10.1.2.3:2380", ef["initial-cluster"])
	require.Equal(t, "example.test/etcd:3.6.5-0", etcd.Spec.Containers[0].Image)

	api := readPod(t, root, "kube-apiserver.yaml")
	af := flags(t, api.Spec.Containers[0].Command)
	require.Equal(t, "10.100.0.0/16", af["service-cluster-ip-range"])
	require.Equal(t, "10.1.2.3", af["advertise-address"])
	require.Equal(t, "registry.k8s.io/kube-apiserver:v1.36.0", api.Spec.Containers[0].Image)

	apiserver := readCert(t, root, "apiserver")
	require.Equal(t, "10.100.0.1", apiserver.IPAddresses[0].String())
	require.Contains(t, apiserver.DNSNames, "cp-2")
}
