package kubeadm

import (
	"fmt"
	"maps"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	layout "github.com/ckat/ckat/internal/kubeadm"
)

// Constants of kubeadm's static pods.
const (
	// EtcdAdvertiseClientURLsAnnotation is on kubeadm's etcd pod.
	EtcdAdvertiseClientURLsAnnotation = "kubeadm.kubernetes.io/etcd.advertise-client-urls"
	// APIServerEndpointAnnotation is on kubeadm's kube-apiserver pod.
	APIServerEndpointAnnotation = "kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint"

	probePort = "probe-port"
	// controlPlaneHealthCheckSeconds is kubeadm's default
	// timeouts.controlPlaneComponentHealthCheck (4m).
	controlPlaneHealthCheckSeconds = 240
)

func writeManifests(root string, cfg Config) error {
	for _, m := range []struct {
		path string
		pod  corev1.Pod
	}{
		{layout.EtcdManifest, etcdPod(cfg)},
		{layout.APIServerManifest, apiServerPod(cfg)},
	} {
		data, err := yaml.Marshal(&m.pod)
		if err != nil {
			return fmt.Errorf("encode %s: %w", m.path, err)
		}
		// kubeadm's WriteStaticPodToDisk writes manifests 0600.
		if err := writeFile(hostPath(root, m.path), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// etcdPod is the etcd static pod kubeadm v1.37's GetEtcdPodSpec returns for
// a single-member local etcd; cfg is complete.
func etcdPod(cfg Config) corev1.Pod {
	clientURL := "https://" + net.JoinHostPort(cfg.NodeIP, strconv.Itoa(layout.EtcdListenClientPort))
	peerURL := "https://" + net.JoinHostPort(cfg.NodeIP, strconv.Itoa(layout.EtcdListenPeerPort))
	args := map[string]string{
		"name":                           cfg.NodeName,
		"listen-client-urls":             layout.EtcdLocalClientURL() + "," + clientURL,
		"advertise-client-urls":          clientURL,
		"listen-peer-urls":               peerURL,
		"initial-advertise-peer-urls":    peerURL,
		"initial-cluster":                cfg.NodeName + "=" + peerURL,
		"data-dir":                       layout.EtcdDataDir,
		"cert-file":                      layout.CertFile(layout.EtcdServerCertAndKeyBaseName),
		"key-file":                       layout.KeyFile(layout.EtcdServerCertAndKeyBaseName),
		"trusted-ca-file":                layout.CertFile(layout.EtcdCACertAndKeyBaseName),
		"client-cert-auth":               "true",
		"peer-cert-file":                 layout.CertFile(layout.EtcdPeerCertAndKeyBaseName),
		"peer-key-file":                  layout.KeyFile(layout.EtcdPeerCertAndKeyBaseName),
		"peer-trusted-ca-file":           layout.CertFile(layout.EtcdCACertAndKeyBaseName),
		"peer-client-cert-auth":          "true",
		"snapshot-count":                 "10000",
		"listen-metrics-urls":            layout.EtcdLocalMetricsURL(),
		"feature-gates":                  "InitialCorruptCheck=true",
		"watch-progress-notify-interval": "5s",
	}
	dirOrCreate := corev1.HostPathDirectoryOrCreate
	container := corev1.Container{
		Name:            "etcd",
		Image:           cfg.EtcdImage,
		ImagePullPolicy: corev1.PullIfNotPresent,
		Command:         command("etcd", args),
		VolumeMounts: []corev1.VolumeMount{
			{Name: layout.EtcdDataVolume, MountPath: layout.EtcdDataDir},
			{Name: layout.EtcdCertsVolume, MountPath: layout.EtcdPKIDir},
		},
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("100m"),
			corev1.ResourceMemory: resource.MustParse("100Mi"),
		}},
		LivenessProbe:  livenessProbe(layout.LoopbackAddress, "/livez", corev1.URISchemeHTTP),
		ReadinessProbe: readinessProbe(layout.LoopbackAddress, "/readyz", corev1.URISchemeHTTP),
		StartupProbe:   startupProbe(layout.LoopbackAddress, "/readyz", corev1.URISchemeHTTP),
		Ports:          []corev1.ContainerPort{{Name: probePort, ContainerPort: layout.EtcdMetricsPort, Protocol: corev1.ProtocolTCP}},
	}
	return componentPod(container, []corev1.Volume{
		hostPathVolume(layout.EtcdCertsVolume, layout.EtcdPKIDir, dirOrCreate),
		hostPathVolume(layout.EtcdDataVolume, layout.EtcdDataDir, dirOrCreate),
	}, map[string]string{EtcdAdvertiseClientURLsAnnotation: clientURL})
}

// apiServerPod is the kube-apiserver static pod kubeadm v1.37's
// GetStaticPodSpecs returns with a local etcd, on a host whose /etc/ssl/certs
// links into /usr/share/ca-certificates (Debian, Ubuntu) and with no proxy
// variables in kubeadm's environment; cfg is complete.
func apiServerPod(cfg Config) corev1.Pod {
	endpoint := net.JoinHostPort(cfg.NodeIP, strconv.Itoa(layout.KubeAPIServerPort))
	args := map[string]string{
		"advertise-address":                  cfg.NodeIP,
		"allow-privileged":                   "true",
		"authorization-mode":                 "Node,RBAC",
		"client-ca-file":                     layout.CertFile(layout.CACertAndKeyBaseName),
		"enable-admission-plugins":           "NodeRestriction",
		"enable-bootstrap-token-auth":        "true",
		"etcd-cafile":                        layout.CertFile(layout.EtcdCACertAndKeyBaseName),
		"etcd-certfile":                      layout.CertFile(layout.APIServerEtcdClientCertAndKeyBaseName),
		"etcd-keyfile":                       layout.KeyFile(layout.APIServerEtcdClientCertAndKeyBaseName),
		"etcd-servers":                       layout.EtcdLocalClientURL(),
		"kubelet-client-certificate":         layout.CertFile(layout.APIServerKubeletClientCertAndKeyBaseName),
		"kubelet-client-key":                 layout.KeyFile(layout.APIServerKubeletClientCertAndKeyBaseName),
		"kubelet-preferred-address-types":    "InternalIP,ExternalIP,Hostname",
		"proxy-client-cert-file":             layout.CertFile(layout.FrontProxyClientCertAndKeyBaseName),
		"proxy-client-key-file":              layout.KeyFile(layout.FrontProxyClientCertAndKeyBaseName),
		"requestheader-allowed-names":        "front-proxy-client",
		"requestheader-client-ca-file":       layout.CertFile(layout.FrontProxyCACertAndKeyBaseName),
		"requestheader-extra-headers-prefix": "X-Remote-Extra-",
		"requestheader-group-headers":        "X-Remote-Group",
		"requestheader-username-headers":     "X-Remote-User",
		"secure-port":                        strconv.Itoa(layout.KubeAPIServerPort),
		"service-account-issuer":             "https://kubernetes.default.svc." + DNSDomain,
		"service-account-key-file":           layout.PublicKeyFile(layout.ServiceAccountKeyBaseName),
		"service-account-signing-key-file":   layout.KeyFile(layout.ServiceAccountKeyBaseName),
		"service-cluster-ip-range":           cfg.ServiceCIDR,
		"tls-cert-file":                      layout.CertFile(layout.APIServerCertAndKeyBaseName),
		"tls-private-key-file":               layout.KeyFile(layout.APIServerCertAndKeyBaseName),
	}
	dirOrCreate := corev1.HostPathDirectoryOrCreate
	// Name, path; kubeadm mounts them read-only at the same path, sorted by name.
	mounts := [][2]string{
		{"ca-certs", "/etc/ssl/certs"},
		{"etc-ca-certificates", "/etc/ca-certificates"},
		{"k8s-certs", layout.PKIDir},
		{"usr-local-share-ca-certificates", "/usr/local/share/ca-certificates"},
		{"usr-share-ca-certificates", "/usr/share/ca-certificates"},
	}
	var volumes []corev1.Volume
	var volumeMounts []corev1.VolumeMount
	for _, m := range mounts {
		volumes = append(volumes, hostPathVolume(m[0], m[1], dirOrCreate))
		volumeMounts = append(volumeMounts, corev1.VolumeMount{Name: m[0], MountPath: m[1], ReadOnly: true})
	}
	container := corev1.Container{
		Name:            "kube-apiserver",
		Image:           cfg.APIServerImage,
		ImagePullPolicy: corev1.PullIfNotPresent,
		Command:         command("kube-apiserver", args),
		VolumeMounts:    volumeMounts,
		LivenessProbe:   livenessProbe(cfg.NodeIP, "/livez", corev1.URISchemeHTTPS),
		ReadinessProbe:  readinessProbe(cfg.NodeIP, "/readyz", corev1.URISchemeHTTPS),
		StartupProbe:    startupProbe(cfg.NodeIP, "/livez", corev1.URISchemeHTTPS),
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("250m"),
		}},
		Ports: []corev1.ContainerPort{{Name: probePort, ContainerPort: layout.KubeAPIServerPort, Protocol: corev1.ProtocolTCP}},
	}
	return componentPod(container, volumes, map[string]string{APIServerEndpointAnnotation: endpoint})
}

// command is kubeadm's ArgumentsToCommand with no overrides: the flags
// sorted by name, each as --name=value.
func command(binary string, args map[string]string) []string {
	cmd := []string{binary}
	for _, n := range slices.Sorted(maps.Keys(args)) {
		cmd = append(cmd, "--"+n+"="+args[n])
	}
	return cmd
}

// componentPod is kubeadm's staticpod.ComponentPod.
func componentPod(container corev1.Container, volumes []corev1.Volume, annotations map[string]string) corev1.Pod {
	priority := int32(2000001000) // system-node-critical
	slices.SortFunc(volumes, func(a, b corev1.Volume) int { return strings.Compare(a.Name, b.Name) })
	return corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        container.Name,
			Namespace:   metav1.NamespaceSystem,
			Labels:      map[string]string{"component": container.Name, "tier": "control-plane"},
			Annotations: annotations,
		},
		Spec: corev1.PodSpec{
			Containers:        []corev1.Container{container},
			Priority:          &priority,
			PriorityClassName: "system-node-critical",
			HostNetwork:       true,
			Volumes:           volumes,
			SecurityContext: &corev1.PodSecurityContext{
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
		},
	}
}

func hostPathVolume(name, path string, pathType corev1.HostPathType) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
		HostPath: &corev1.HostPathVolumeSource{Path: path, Type: &pathType},
	}}
}

// The probes of kubeadm's staticpod package.
func livenessProbe(host, path string, scheme corev1.URIScheme) *corev1.Probe {
	return httpProbe(host, path, scheme, 10, 15, 8, 10)
}

func readinessProbe(host, path string, scheme corev1.URIScheme) *corev1.Probe {
	return httpProbe(host, path, scheme, 0, 15, 3, 1)
}

func startupProbe(host, path string, scheme corev1.URIScheme) *corev1.Probe {
	const period = 10
	failureThreshold := int32(math.Ceil(float64(controlPlaneHealthCheckSeconds) / period))
	return httpProbe(host, path, scheme, period, 15, failureThreshold, period)
}

func httpProbe(host, path string, scheme corev1.URIScheme, initialDelay, timeout, failureThreshold, period int32) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
			Host: host, Path: path, Port: intstr.FromString(probePort), Scheme: scheme,
		}},
		InitialDelaySeconds: initialDelay,
		TimeoutSeconds:      timeout,
		FailureThreshold:    failureThreshold,
		PeriodSeconds:       period,
	}
}
