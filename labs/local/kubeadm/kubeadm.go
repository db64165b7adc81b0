// Package kubeadm writes the files `kubeadm init` writes on a control-plane
// node: the cluster's PKI under /etc/kubernetes/pki, the static pod manifests
// of etcd, kube-apiserver, kube-controller-manager and kube-scheduler under
// /etc/kubernetes/manifests, and the kubeconfigs admin.conf,
// super-admin.conf, kubelet.conf, controller-manager.conf and
// scheduler.conf, with kubeadm's
// subjects, usages, SANs, flags, volumes and file modes. Where those files
// go, and the ports, are internal/kubeadm's layout.
//
// Keys are ECDSA P-256, as kubeadm writes them with
// `encryptionAlgorithm: ECDSA-P256`.
//
// admin.conf authenticates as group kubeadm:cluster-admins, which has no
// rights until the ClusterRoleBinding of the same name exists. kubeadm
// creates it after the API server is up; here Bootstrap does, called with
// super-admin.conf's credentials.
package kubeadm

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	layout "github.com/ckat/ckat/internal/kubeadm"
)

// Defaults filled in for empty Config fields.
const (
	DefaultNodeName          = "controlplane"
	DefaultKubernetesVersion = "v1.37.2"
	DefaultEtcdImage         = "registry.k8s.io/etcd:3.7.3-0"
	DefaultServiceCIDR       = "10.96.0.0/12"
	DefaultClusterName       = "kubernetes"
	// DNSDomain is the cluster's DNS domain (kubeadm's networking.dnsDomain).
	DNSDomain = "cluster.local"
)

// Config is what varies between control-plane nodes.
type Config struct {
	// NodeName is the node's name: etcd's member name, a SAN, the kubelet's user. Default "controlplane".
	NodeName string
	// NodeIP is the advertise address of etcd and the API server. Required.
	NodeIP string
	// KubernetesVersion names the API server image's tag. Default v1.37.2.
	KubernetesVersion string
	// EtcdImage and APIServerImage are the images written into the manifests.
	EtcdImage, APIServerImage string
	// ServiceCIDR is --service-cluster-ip-range; its first address is a SAN. Default 10.96.0.0/12.
	ServiceCIDR string
	// ClusterName names the cluster in the kubeconfigs. Default "kubernetes".
	ClusterName string
	// Components are the static pods whose manifests Generate writes
	// (layout.ValidateComponents). Default all four,
	// layout.ControlPlaneComponents. The PKI and kubeconfigs are written
	// whatever the list.
	Components []string
}

// complete returns cfg with defaults filled in, or an error naming the bad field.
func (cfg Config) complete() (Config, error) {
	if cfg.NodeName == "" {
		cfg.NodeName = DefaultNodeName
	}
	if cfg.KubernetesVersion == "" {
		cfg.KubernetesVersion = DefaultKubernetesVersion
	}
	if cfg.EtcdImage == "" {
		cfg.EtcdImage = DefaultEtcdImage
	}
	if cfg.APIServerImage == "" {
		cfg.APIServerImage = "registry.k8s.io/kube-apiserver:" + cfg.KubernetesVersion
	}
	if cfg.ServiceCIDR == "" {
		cfg.ServiceCIDR = DefaultServiceCIDR
	}
	if cfg.ClusterName == "" {
		cfg.ClusterName = DefaultClusterName
	}
	if cfg.Components == nil {
		cfg.Components = layout.ControlPlaneComponents
	}
	if err := layout.ValidateComponents(cfg.Components); err != nil {
		return cfg, err
	}
	if ip := net.ParseIP(cfg.NodeIP); ip == nil || ip.To4() == nil {
		return cfg, fmt.Errorf("node IP %q is not an IPv4 address", cfg.NodeIP)
	}
	if errs := validation.IsDNS1123Subdomain(cfg.NodeName); len(errs) > 0 {
		return cfg, fmt.Errorf("node name %q: %s", cfg.NodeName, strings.Join(errs, "; "))
	}
	if _, err := serviceVIP(cfg.ServiceCIDR); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// serviceVIP is the first address of the service range: the kubernetes
// Service's ClusterIP, which the API server's certificate must name.
func serviceVIP(cidr string) (net.IP, error) {
	_, ipnet, err := net.ParseCIDR(cidr)
	if err != nil {
		return nil, fmt.Errorf("service CIDR %q: %w", cidr, err)
	}
	ip := ipnet.IP.To4()
	if ip == nil {
		return nil, fmt.Errorf("service CIDR %q is not IPv4", cidr)
	}
	vip := make(net.IP, len(ip))
	copy(vip, ip)
	vip[3]++
	if !ipnet.Contains(vip) {
		return nil, fmt.Errorf("service CIDR %q has no room for the kubernetes Service", cidr)
	}
	return vip, nil
}

// Generate writes, under root (a directory standing for the node's /),
// everything kubeadm init writes for the control plane: the PKI, the
// manifests of cfg.Components, the five kubeconfigs, the kubelet's
// config.yaml and kubeadm-flags.env (writeKubeletFiles); and creates
// var/lib/etcd (0700).
// Existing files are overwritten; etcd's data is left alone.
//
// Files get kubeadm's modes (keys, sa.pub, kubeconfigs and manifests 0600,
// certificates 0644). Directories are 0755 but for var/lib/etcd (0700):
// kubeadm would create manifests 0700, but on a real node the kubelet's
// package has already made it 0755.
func Generate(root string, cfg Config) error {
	cfg, err := cfg.complete()
	if err != nil {
		return fmt.Errorf("kubeadm config: %w", err)
	}
	for _, d := range []struct {
		path string
		mode os.FileMode
	}{
		{layout.KubernetesDir, 0o755},
		{layout.PKIDir, 0o755},
		{layout.EtcdPKIDir, 0o755},
		{layout.ManifestsDir, 0o755},
		{layout.EtcdDataDir, 0o700},
	} {
		if err := mkdir(hostPath(root, d.path), d.mode); err != nil {
			return err
		}
	}
	cas, err := writePKI(root, cfg)
	if err != nil {
		return err
	}
	if err := writeKubeconfigs(root, cfg, cas.ca); err != nil {
		return err
	}
	if err := writeKubeletFiles(root, cfg); err != nil {
		return err
	}
	return writeManifests(root, cfg)
}

// hostPath maps a node path to its place under root.
func hostPath(root, nodePath string) string {
	return filepath.Join(root, filepath.FromSlash(nodePath))
}

// mkdir creates path with mode, and missing parents with 0755.
func mkdir(path string, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create directory: %w", err)
	}
	if err := os.Mkdir(path, mode); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create directory: %w", err)
	}
	// Mkdir applies the umask and an existing directory keeps its mode.
	if err := os.Chmod(path, mode); err != nil {
		return fmt.Errorf("set mode of %s: %w", path, err)
	}
	return nil
}

// writeFile writes data with exactly mode, whatever the umask.
func writeFile(path string, data []byte, mode os.FileMode) error {
	if err := os.WriteFile(path, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(path, mode); err != nil {
		return fmt.Errorf("set mode of %s: %w", path, err)
	}
	return nil
}
