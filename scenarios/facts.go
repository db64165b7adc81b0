package scenarios

import "github.com/ckat/ckat/internal/kubeadm"

// LabFacts are what a task's text may say about the lab it runs on,
// available to templates as {{.lab.NAME}}.
type LabFacts struct {
	// Name is the lab's name.
	Name string
	// Node is the control-plane node's name.
	Node string
	// Provider is "local" or "kind".
	Provider string
	// NodeIP is the control-plane node's address, where etcd serves
	// clients besides 127.0.0.1 (the host in etcd's
	// --advertise-client-urls); the lab's status gives it.
	NodeIP string
}

// data is the value of .lab in templates: the lab's names, and where
// kubeadm puts things on a control-plane node, which every provider's node
// mirrors.
func (f LabFacts) data() map[string]any {
	return map[string]any{
		"name":              f.Name,
		"node":              f.Node,
		"provider":          f.Provider,
		"nodeIP":            f.NodeIP,
		"etcdEndpoint":      kubeadm.EtcdLocalClientURL(),
		"manifestDir":       kubeadm.ManifestsDir,
		"etcdManifest":      kubeadm.EtcdManifest,
		"apiServerManifest": kubeadm.APIServerManifest,
		"dataDir":           kubeadm.EtcdDataDir,
		"kubeletConfig":     kubeadm.KubeletConfigFile,
		"certs": map[string]any{
			"ca":   kubeadm.CertFile(kubeadm.EtcdCACertAndKeyBaseName),
			"cert": kubeadm.CertFile(kubeadm.EtcdServerCertAndKeyBaseName),
			"key":  kubeadm.KeyFile(kubeadm.EtcdServerCertAndKeyBaseName),
		},
	}
}
