// Package kubeadm says what a kubeadm control-plane node looks like: the
// directories, static pod manifests, kubeconfigs, PKI files and ports that
// `kubeadm init` lays out with its defaults. Every provider's node has this
// layout, and the grader, the scenarios and the labs read it from here.
//
// The names and values follow kubeadm's own, in
// k8s.io/kubernetes/cmd/kubeadm/app/constants/constants.go (v1.37.2), and
// the defaults of its v1beta4 configuration in
// k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/v1beta4/defaults.go
// (DefaultCertificatesDir, DefaultEtcdDataDir).
package kubeadm

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
)

// Directories on the node.
const (
	// KubernetesDir holds the kubeconfigs, the PKI and the manifests
	// (constants.KubernetesDir).
	KubernetesDir = "/etc/kubernetes"
	// ManifestsDir is the kubelet's staticPodPath
	// (constants.GetStaticPodDirectory).
	ManifestsDir = KubernetesDir + "/manifests"
	// PKIDir is kubeadm's certificatesDir (v1beta4.DefaultCertificatesDir).
	PKIDir = KubernetesDir + "/pki"
	// EtcdPKIDir holds etcd's CA and certificates (the directory of
	// constants.EtcdCACertAndKeyBaseName), mounted into etcd's pod.
	EtcdPKIDir = PKIDir + "/etcd"
	// EtcdDataDir is etcd's --data-dir and the etcd-data volume's hostPath
	// (v1beta4.DefaultEtcdDataDir).
	EtcdDataDir = "/var/lib/etcd"
)

// Component names, which name the static pods, their manifests and their
// commands (constants.Etcd, constants.KubeAPIServer,
// constants.KubeControllerManager, constants.KubeScheduler).
const (
	Etcd                  = "etcd"
	KubeAPIServer         = "kube-apiserver"
	KubeControllerManager = "kube-controller-manager"
	KubeScheduler         = "kube-scheduler"
)

// ControlPlaneComponents are the static pods of a kubeadm control-plane
// node, in the order kubeadm init writes them (etcd first).
var ControlPlaneComponents = []string{Etcd, KubeAPIServer, KubeControllerManager, KubeScheduler}

// ManifestFile is the node path of component's static pod manifest
// (constants.GetStaticPodFilepath).
func ManifestFile(component string) string { return ManifestsDir + "/" + component + ".yaml" }

// Names of the hostPath volumes in etcd's static pod (etcdVolumeName and
// certsVolumeName in kubeadm's phases/etcd/local.go), mounting EtcdDataDir
// and EtcdPKIDir.
const (
	EtcdDataVolume  = "etcd-data"
	EtcdCertsVolume = "etcd-certs"
)

// Static pod manifests (constants.GetStaticPodFilepath of each component
// in ManifestsDir).
const (
	// EtcdManifest is etcd's static pod manifest.
	EtcdManifest = ManifestsDir + "/" + Etcd + ".yaml"
	// APIServerManifest is kube-apiserver's static pod manifest.
	APIServerManifest = ManifestsDir + "/" + KubeAPIServer + ".yaml"
	// ControllerManagerManifest is kube-controller-manager's static pod
	// manifest.
	ControllerManagerManifest = ManifestsDir + "/" + KubeControllerManager + ".yaml"
	// SchedulerManifest is kube-scheduler's static pod manifest.
	SchedulerManifest = ManifestsDir + "/" + KubeScheduler + ".yaml"
)

// Kubeconfigs (constants.*KubeConfigFileName in KubernetesDir).
const (
	// AdminConf is the cluster administrator's kubeconfig (group
	// kubeadm:cluster-admins).
	AdminConf = KubernetesDir + "/admin.conf"
	// SuperAdminConf is the break-glass kubeconfig (group system:masters).
	SuperAdminConf = KubernetesDir + "/super-admin.conf"
	// KubeletConf is the kubelet's kubeconfig (system:node:NODE, group
	// system:nodes).
	KubeletConf = KubernetesDir + "/kubelet.conf"
	// ControllerManagerConf is kube-controller-manager's kubeconfig (user
	// system:kube-controller-manager).
	ControllerManagerConf = KubernetesDir + "/controller-manager.conf"
	// SchedulerConf is kube-scheduler's kubeconfig (user
	// system:kube-scheduler).
	SchedulerConf = KubernetesDir + "/scheduler.conf"
)

// Users of the components' kubeconfigs, which the API server's RBAC
// bootstrap policy knows (constants.ControllerManagerUser,
// constants.SchedulerUser).
const (
	ControllerManagerUser = "system:kube-controller-manager"
	SchedulerUser         = "system:kube-scheduler"
)

// Volume names of the controller manager's and scheduler's static pods
// (constants.KubeConfigVolumeName, constants.KubeCertificatesVolumeName).
const (
	KubeconfigVolume = "kubeconfig"
	K8sCertsVolume   = "k8s-certs"
)

// kubeadm's markcontrolplane phase labels and taints the control-plane
// node (constants.LabelNodeRoleControlPlane, LabelExcludeFromExternalLB,
// ControlPlaneTaint).
const (
	// LabelNodeRoleControlPlane is the role label (value "") and the key
	// of the control-plane taint.
	LabelNodeRoleControlPlane = "node-role.kubernetes.io/control-plane"
	// LabelExcludeFromExternalLB is the other label kubeadm puts on a
	// control-plane node (value "").
	LabelExcludeFromExternalLB = "node.kubernetes.io/exclude-from-external-load-balancers"
)

// Base names of the certificates and keys, relative to PKIDir: kubeadm's
// *CertAndKeyBaseName constants. CertFile and KeyFile give their paths.
const (
	CACertAndKeyBaseName                     = "ca"
	APIServerCertAndKeyBaseName              = "apiserver"
	APIServerKubeletClientCertAndKeyBaseName = "apiserver-kubelet-client"
	APIServerEtcdClientCertAndKeyBaseName    = "apiserver-etcd-client"
	FrontProxyCACertAndKeyBaseName           = "front-proxy-ca"
	FrontProxyClientCertAndKeyBaseName       = "front-proxy-client"
	EtcdCACertAndKeyBaseName                 = "etcd/ca"
	EtcdServerCertAndKeyBaseName             = "etcd/server"
	EtcdPeerCertAndKeyBaseName               = "etcd/peer"
	EtcdHealthcheckClientCertAndKeyBaseName  = "etcd/healthcheck-client"
	// ServiceAccountKeyBaseName names the service-account key pair, sa.key
	// and sa.pub (KeyFile and PublicKeyFile).
	ServiceAccountKeyBaseName = "sa"
)

// CertFile is the node path of the certificate with base name base
// (PKIDir/base.crt).
func CertFile(base string) string { return PKIDir + "/" + base + ".crt" }

// KeyFile is the node path of the private key with base name base
// (PKIDir/base.key).
func KeyFile(base string) string { return PKIDir + "/" + base + ".key" }

// PublicKeyFile is the node path of the public key with base name base
// (PKIDir/base.pub), as kubeadm writes sa.pub.
func PublicKeyFile(base string) string { return PKIDir + "/" + base + ".pub" }

// Ports on the node.
const (
	// EtcdListenClientPort is etcd's client port (constants.EtcdListenClientPort).
	EtcdListenClientPort = 2379
	// EtcdListenPeerPort is etcd's peer port (constants.EtcdListenPeerPort).
	EtcdListenPeerPort = 2380
	// EtcdMetricsPort is etcd's plain-HTTP metrics and health port, on
	// 127.0.0.1 (constants.EtcdMetricsPort).
	EtcdMetricsPort = 2381
	// KubeAPIServerPort is the API server's secure port
	// (constants.KubeAPIServerPort, the default bindPort).
	KubeAPIServerPort = 6443
	// KubeControllerManagerPort is the controller manager's secure port,
	// on 127.0.0.1 (constants.KubeControllerManagerPort).
	KubeControllerManagerPort = 10257
	// KubeSchedulerPort is the scheduler's secure port, on 127.0.0.1
	// (constants.KubeSchedulerPort).
	KubeSchedulerPort = 10259
)

// LoopbackAddress is the address at which kubeadm's etcd also listens for
// clients and serves metrics, and which the API server's --etcd-servers
// names (etcdLocalhostAddress in kubeadm's phases/etcd/local.go).
const LoopbackAddress = "127.0.0.1"

// EtcdLocalClientURL is etcd's client URL on the node's loopback,
// https://127.0.0.1:2379: the API server's --etcd-servers and where etcdctl
// on the node reaches etcd (etcdutil.GetClientURLByIP(127.0.0.1)).
func EtcdLocalClientURL() string {
	return "https://" + net.JoinHostPort(LoopbackAddress, strconv.Itoa(EtcdListenClientPort))
}

// EtcdLocalMetricsURL is etcd's --listen-metrics-urls, http://127.0.0.1:2381.
func EtcdLocalMetricsURL() string {
	return "http://" + net.JoinHostPort(LoopbackAddress, strconv.Itoa(EtcdMetricsPort))
}

// The kubelet's files on a kubeadm node. The kubelet's deb package installs
// its systemd unit, kubeadm's package the drop-in that passes the flags
// below, and `kubeadm init` writes the configuration and flags files
// (constants.KubeletRunDirectory, KubeletConfigurationFileName,
// KubeletEnvFileName; cmd/kubeadm/app/phases/kubelet).
const (
	// KubeletServiceUnit is the kubelet's systemd unit.
	KubeletServiceUnit = "kubelet.service"
	// SystemdUnitDir holds the units packages install.
	SystemdUnitDir = "/usr/lib/systemd/system"
	// KubeletServiceFile is the kubelet's unit file.
	KubeletServiceFile = SystemdUnitDir + "/" + KubeletServiceUnit
	// KubeletDropInDir holds the kubelet unit's drop-ins.
	KubeletDropInDir = KubeletServiceFile + ".d"
	// KubeadmDropInFile is kubeadm's drop-in, which sets the kubelet's flags.
	KubeadmDropInFile = KubeletDropInDir + "/10-kubeadm.conf"
	// KubeletDir is the kubelet's directory (constants.KubeletRunDirectory).
	KubeletDir = "/var/lib/kubelet"
	// KubeletConfigFile is the KubeletConfiguration kubeadm writes, the
	// kubelet's --config.
	KubeletConfigFile = KubeletDir + "/config.yaml"
	// KubeletEnvFile holds KUBELET_KUBEADM_ARGS, the flags kubeadm
	// computes for this node.
	KubeletEnvFile = KubeletDir + "/kubeadm-flags.env"
	// KubeletDefaultsFile holds KUBELET_EXTRA_ARGS, the user's flags (the
	// deb package's /etc/default/kubelet).
	KubeletDefaultsFile = "/etc/default/kubelet"
	// BootstrapKubeletConf is the kubelet's --bootstrap-kubeconfig, which
	// kubeadm removes once the node has its kubelet.conf.
	BootstrapKubeletConf = KubernetesDir + "/bootstrap-kubelet.conf"
	// KubeletHealthzPort is the kubelet's healthz port on 127.0.0.1.
	KubeletHealthzPort = 10248
)

// KubeletFiles are the files that decide how the kubelet runs: its unit
// and kubeadm's drop-in, the flags files they read, its configuration and
// its kubeconfig. A change to any of them takes effect when the kubelet
// restarts (after a daemon-reload for the unit files).
var KubeletFiles = []string{KubeletServiceFile, KubeadmDropInFile, KubeletEnvFile, KubeletDefaultsFile, KubeletConfigFile, KubeletConf}

// KubeletServiceText is the kubelet package's unit file
// (kubernetes/release, cmd/krel/templates/latest/kubelet/kubelet.service).
const KubeletServiceText = `[Unit]
Description=kubelet: The Kubernetes Node Agent
Documentation=https://kubernetes.io/docs/
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=/usr/bin/kubelet
Restart=always
StartLimitInterval=0
RestartSec=10

[Install]
WantedBy=multi-user.target
`

// KubeadmDropInText is the kubeadm package's drop-in for the kubelet's
// unit (kubernetes/release, cmd/krel/templates/latest/kubeadm/10-kubeadm.conf).
const KubeadmDropInText = `# Note: This dropin only works with kubeadm and kubelet v1.11+
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
# This is a file that "kubeadm init" and "kubeadm join" generates at runtime, populating the KUBELET_KUBEADM_ARGS variable dynamically
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
# This is a file that the user can use for overrides of the kubelet args as a last resort. Preferably, the user should use
# the .NodeRegistration.KubeletExtraArgs object in the configuration files instead. KUBELET_EXTRA_ARGS should be sourced from this file.
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
`

// RequiredComponents are the static pods every lab runs: the others talk
// to the cluster through the API server, which stores it in etcd.
var RequiredComponents = []string{Etcd, KubeAPIServer}

// ValidateComponents checks a list of static pods a lab is to run: each a
// name of ControlPlaneComponents, none twice, RequiredComponents among
// them. The error names the bad entry and the valid names.
func ValidateComponents(names []string) error {
	seen := map[string]bool{}
	for _, n := range names {
		if !slices.Contains(ControlPlaneComponents, n) {
			return fmt.Errorf("unknown component %q (known: %s)", n, strings.Join(ControlPlaneComponents, ", "))
		}
		if seen[n] {
			return fmt.Errorf("component %q is listed twice", n)
		}
		seen[n] = true
	}
	for _, r := range RequiredComponents {
		if !seen[r] {
			return fmt.Errorf("component %q is missing: every lab runs %s", r, strings.Join(RequiredComponents, " and "))
		}
	}
	return nil
}
