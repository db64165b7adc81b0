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
