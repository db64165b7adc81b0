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

// writeManifests writes the static pod manifests of cfg.Components.
func writeManifests(root string, cfg Config) error {
	pods := map[string]func(Config) corev1.Pod{
		layout.Etcd:                  etcdPod,
		layout.KubeAPIServer:         apiServerPod,
		layout.KubeControllerManager: controllerManagerPod,
		layout.KubeScheduler:         schedulerPod,
	}
	for _, c := range cfg.Components {
		path := layout.ManifestFile(c)
		pod := pods[c](cfg)
		data, err := yaml.Marshal(&pod)
		if err != nil {
			return fmt.Errorf("encode %s: %w", path, err)
		}
		// kubeadm's WriteStaticPodToDisk writes manifests 0600.
		if err := writeFile(hostPath(root, path), data, 0o600); err != nil {
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
	volumes, volumeMounts := readOnlyHostPaths(certMounts()...)
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

// controllerManagerPod is the kube-controller-manager static pod kubeadm
// v1.37's GetStaticPodSpecs returns (getControllerManagerCommand, with no
// pod subnet and kubeadm's own CA), with the volumes of
// getHostPathVolumesForTheControlPlane on a Debian host; cfg is complete.
func controllerManagerPod(cfg Config) corev1.Pod {
	caFile := layout.CertFile(layout.CACertAndKeyBaseName)
	args := map[string]string{
		"bind-address":                     layout.LoopbackAddress,
		"leader-elect":                     "true",
		"kubeconfig":                       layout.ControllerManagerConf,
		"authentication-kubeconfig":        layout.ControllerManagerConf,
		"authorization-kubeconfig":         layout.ControllerManagerConf,
		"client-ca-file":                   caFile,
		"requestheader-client-ca-file":     layout.CertFile(layout.FrontProxyCACertAndKeyBaseName),
		"root-ca-file":                     caFile,
		"service-account-private-key-file": layout.KeyFile(layout.ServiceAccountKeyBaseName),
		"cluster-signing-cert-file":        caFile,
		"cluster-signing-key-file":         layout.KeyFile(layout.CACertAndKeyBaseName),
		"use-service-account-credentials":  "true",
		"controllers":                      "*,bootstrapsigner,tokencleaner",
		"cluster-name":                     cfg.ClusterName,
	}
	mounts := append(certMounts(), hostPathMount{layout.KubeconfigVolume, layout.ControllerManagerConf, corev1.HostPathFileOrCreate})
	volumes, volumeMounts := readOnlyHostPaths(mounts...)
	container := corev1.Container{
		Name:            layout.KubeControllerManager,
		Image:           kubernetesImage(layout.KubeControllerManager, cfg),
		ImagePullPolicy: corev1.PullIfNotPresent,
		Command:         command(layout.KubeControllerManager, args),
		VolumeMounts:    volumeMounts,
		LivenessProbe:   livenessProbe(layout.LoopbackAddress, "/healthz", corev1.URISchemeHTTPS),
		StartupProbe:    startupProbe(layout.LoopbackAddress, "/healthz", corev1.URISchemeHTTPS),
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("200m"),
		}},
		Ports: []corev1.ContainerPort{{Name: probePort, ContainerPort: layout.KubeControllerManagerPort, Protocol: corev1.ProtocolTCP}},
	}
	return componentPod(container, volumes, nil)
}

// schedulerPod is the kube-scheduler static pod kubeadm v1.37's
// GetStaticPodSpecs returns (getSchedulerCommand); cfg is complete.
func schedulerPod(cfg Config) corev1.Pod {
	args := map[string]string{
		"bind-address":              layout.LoopbackAddress,
		"leader-elect":              "true",
		"kubeconfig":                layout.SchedulerConf,
		"authentication-kubeconfig": layout.SchedulerConf,
		"authorization-kubeconfig":  layout.SchedulerConf,
	}
	volumes, volumeMounts := readOnlyHostPaths(hostPathMount{layout.KubeconfigVolume, layout.SchedulerConf, corev1.HostPathFileOrCreate})
	container := corev1.Container{
		Name:            layout.KubeScheduler,
		Image:           kubernetesImage(layout.KubeScheduler, cfg),
		ImagePullPolicy: corev1.PullIfNotPresent,
		Command:         command(layout.KubeScheduler, args),
		VolumeMounts:    volumeMounts,
		LivenessProbe:   livenessProbe(layout.LoopbackAddress, "/livez", corev1.URISchemeHTTPS),
		ReadinessProbe:  readinessProbe(layout.LoopbackAddress, "/readyz", corev1.URISchemeHTTPS),
		StartupProbe:    startupProbe(layout.LoopbackAddress, "/livez", corev1.URISchemeHTTPS),
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("100m"),
		}},
		Ports: []corev1.ContainerPort{{Name: probePort, ContainerPort: layout.KubeSchedulerPort, Protocol: corev1.ProtocolTCP}},
	}
	return componentPod(container, volumes, nil)
}

// kubernetesImage is kubeadm's images.GetKubernetesImage with the default
// repository: registry.k8s.io/COMPONENT:VERSION.
func kubernetesImage(component string, cfg Config) string {
	return "registry.k8s.io/" + component + ":" + cfg.KubernetesVersion
}

// hostPathMount is one of kubeadm's NewHostPathMount calls: a hostPath
// volume mounted at the same path in the container.
type hostPathMount struct {
	name, path string
	pathType   corev1.HostPathType
}

// certMounts are the directories kubeadm mounts into the API server and
// the controller manager: the PKI and, on a host whose /etc/ssl/certs links
// into /usr/share/ca-certificates (Debian, Ubuntu), the CA bundles
// (caCertsVolumePath and the caCertsExtraVolumePaths that exist).
func certMounts() []hostPathMount {
	dirOrCreate := corev1.HostPathDirectoryOrCreate
	return []hostPathMount{
		{"ca-certs", "/etc/ssl/certs", dirOrCreate},
		{"etc-ca-certificates", "/etc/ca-certificates", dirOrCreate},
		{layout.K8sCertsVolume, layout.PKIDir, dirOrCreate},
		{"usr-local-share-ca-certificates", "/usr/local/share/ca-certificates", dirOrCreate},
		{"usr-share-ca-certificates", "/usr/share/ca-certificates", dirOrCreate},
	}
}

// readOnlyHostPaths are the volumes and read-only mounts of mounts, the
// mounts sorted by name as kubeadm's VolumeMountMapToSlice sorts them.
func readOnlyHostPaths(mounts ...hostPathMount) ([]corev1.Volume, []corev1.VolumeMount) {
	slices.SortFunc(mounts, func(a, b hostPathMount) int { return strings.Compare(a.name, b.name) })
	var volumes []corev1.Volume
	var volumeMounts []corev1.VolumeMount
	for _, m := range mounts {
		volumes = append(volumes, hostPathVolume(m.name, m.path, m.pathType))
		volumeMounts = append(volumeMounts, corev1.VolumeMount{Name: m.name, MountPath: m.path, ReadOnly: true})
	}
	return volumes, volumeMounts
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
