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
	"net"
	"strconv"
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

// Component names, which name the static pods and their manifests
// (constants.Etcd, constants.KubeAPIServer).
const (
	Etcd          = "etcd"
	KubeAPIServer = "kube-apiserver"
)

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
