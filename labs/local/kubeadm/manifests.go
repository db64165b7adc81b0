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
)

// Constants of kubeadm's static pods.
const (
	// EtcdAdvertiseClientURLsAnnotation is on kubeadm's etcd pod.
	EtcdAdvertiseClientURLsAnnotation = "kubeadm.kubernetes.io/etcd.advertise-client-urls"
	// APIServerEndpointAnnotation is on kubeadm's kube-apiserver pod.
	APIServerEndpointAnnotation = "kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint"

	etcdClientPort  = 2379
	etcdPeerPort    = 2380
	etcdMetricsPort = 2381
	probePort       = "probe-port"
	// controlPlaneHealthCheckSeconds is kubeadm's default
	// timeouts.controlPlaneComponentHealthCheck (4m).
	controlPlaneHealthCheckSeconds = 240
)

func writeManifests(root string, cfg Config) error {
	for _, m := range []struct {
		path string
		pod  corev1.Pod
	}{
		{EtcdManifest, etcdPod(cfg)},
		{APIServerManifest, apiServerPod(cfg)},
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
	clientURL := "https://" + net.JoinHostPort(cfg.NodeIP, strconv.Itoa(etcdClientPort))
	peerURL := "https://" + net.JoinHostPort(cfg.NodeIP, strconv.Itoa(etcdPeerPort))
	args := map[string]string{
		"name":                           cfg.NodeName,
		"listen-client-urls":             "https://127.0.0.1:" + strconv.Itoa(etcdClientPort) + "," + clientURL,
		"advertise-client-urls":          clientURL,
		"listen-peer-urls":               peerURL,
		"initial-advertise-peer-urls":    peerURL,
		"initial-cluster":                cfg.NodeName + "=" + peerURL,
		"data-dir":                       EtcdDataDir,
		"cert-file":                      EtcdPKIDir + "/server.crt",
		"key-file":                       EtcdPKIDir + "/server.key",
		"trusted-ca-file":                EtcdPKIDir + "/ca.crt",
		"client-cert-auth":               "true",
		"peer-cert-file":                 EtcdPKIDir + "/peer.crt",
		"peer-key-file":                  EtcdPKIDir + "/peer.key",
		"peer-trusted-ca-file":           EtcdPKIDir + "/ca.crt",
		"peer-client-cert-auth":          "true",
		"snapshot-count":                 "10000",
		"listen-metrics-urls":            "http://127.0.0.1:" + strconv.Itoa(etcdMetricsPort),
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
			{Name: "etcd-data", MountPath: EtcdDataDir},
			{Name: "etcd-certs", MountPath: EtcdPKIDir},
		},
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("100m"),
			corev1.ResourceMemory: resource.MustParse("100Mi"),
		}},
		LivenessProbe:  livenessProbe("127.0.0.1", "/livez", corev1.URISchemeHTTP),
		ReadinessProbe: readinessProbe("127.0.0.1", "/readyz", corev1.URISchemeHTTP),
		StartupProbe:   startupProbe("127.0.0.1", "/readyz", corev1.URISchemeHTTP),
		Ports:          []corev1.ContainerPort{{Name: probePort, ContainerPort: etcdMetricsPort, Protocol: corev1.ProtocolTCP}},
	}
	return componentPod(container, []corev1.Volume{
		hostPathVolume("etcd-certs", EtcdPKIDir, dirOrCreate),
		hostPathVolume("etcd-data", EtcdDataDir, dirOrCreate),
	}, map[string]string{EtcdAdvertiseClientURLsAnnotation: clientURL})
}

// apiServerPod is the kube-apiserver static pod kubeadm v1.37's
// GetStaticPodSpecs returns with a local etcd, on a host whose /etc/ssl/certs
// links into /usr/share/ca-certificates (Debian, Ubuntu) and with no proxy
// variables in kubeadm's environment; cfg is complete.
func apiServerPod(cfg Config) corev1.Pod {
	endpoint := net.JoinHostPort(cfg.NodeIP, strconv.Itoa(APIServerPort))
	args := map[string]string{
		"advertise-address":                  cfg.NodeIP,
		"allow-privileged":                   "true",
		"authorization-mode":                 "Node,RBAC",
		"client-ca-file":                     PKIDir + "/ca.crt",
		"enable-admission-plugins":           "NodeRestriction",
		"enable-bootstrap-token-auth":        "true",
		"etcd-cafile":                        EtcdPKIDir + "/ca.crt",
		"etcd-certfile":                      PKIDir + "/apiserver-etcd-client.crt",
		"etcd-keyfile":                       PKIDir + "/apiserver-etcd-client.key",
		"etcd-servers":                       "https://127.0.0.1:" + strconv.Itoa(etcdClientPort),
		"kubelet-client-certificate":         PKIDir + "/apiserver-kubelet-client.crt",
		"kubelet-client-key":                 PKIDir + "/apiserver-kubelet-client.key",
		"kubelet-preferred-address-types":    "InternalIP,ExternalIP,Hostname",
		"proxy-client-cert-file":             PKIDir + "/front-proxy-client.crt",
		"proxy-client-key-file":              PKIDir + "/front-proxy-client.key",
		"requestheader-allowed-names":        "front-proxy-client",
		"requestheader-client-ca-file":       PKIDir + "/front-proxy-ca.crt",
		"requestheader-extra-headers-prefix": "X-Remote-Extra-",
		"requestheader-group-headers":        "X-Remote-Group",
		"requestheader-username-headers":     "X-Remote-User",
		"secure-port":                        strconv.Itoa(APIServerPort),
		"service-account-issuer":             "https://kubernetes.default.svc." + DNSDomain,
		"service-account-key-file":           PKIDir + "/sa.pub",
		"service-account-signing-key-file":   PKIDir + "/sa.key",
		"service-cluster-ip-range":           cfg.ServiceCIDR,
		"tls-cert-file":                      PKIDir + "/apiserver.crt",
		"tls-private-key-file":               PKIDir + "/apiserver.key",
	}
	dirOrCreate := corev1.HostPathDirectoryOrCreate
	// Name, path; kubeadm mounts them read-only at the same path, sorted by name.
	mounts := [][2]string{
		{"ca-certs", "/etc/ssl/certs"},
		{"etc-ca-certificates", "/etc/ca-certificates"},
		{"k8s-certs", PKIDir},
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
		Ports: []corev1.ContainerPort{{Name: probePort, ContainerPort: APIServerPort, Protocol: corev1.ProtocolTCP}},
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
