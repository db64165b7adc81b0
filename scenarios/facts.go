package scenarios

// LabFacts are what a task's text may say about the lab it runs on,
// available to templates as {{.lab.NAME}}.
type LabFacts struct {
	// Name is the lab's name.
	Name string
	// Node is the control-plane node's name.
	Node string
	// Provider is "local" or "kind".
	Provider string
}

// Where kubeadm puts things on a control-plane node; every provider's node
// has this layout.
const (
	EtcdEndpoint      = "https://127.0.0.1:2379"
	ManifestDir       = "/etc/kubernetes/manifests"
	EtcdManifest      = ManifestDir + "/etcd.yaml"
	APIServerManifest = ManifestDir + "/kube-apiserver.yaml"
	EtcdDataDir       = "/var/lib/etcd"
	EtcdCA            = "/etc/kubernetes/pki/etcd/ca.crt"
	EtcdServerCert    = "/etc/kubernetes/pki/etcd/server.crt"
	EtcdServerKey     = "/etc/kubernetes/pki/etcd/server.key"
)

// data is the value of .lab in templates.
func (f LabFacts) data() map[string]any {
	return map[string]any{
		"name":              f.Name,
		"node":              f.Node,
		"provider":          f.Provider,
		"etcdEndpoint":      EtcdEndpoint,
		"manifestDir":       ManifestDir,
		"etcdManifest":      EtcdManifest,
		"apiServerManifest": APIServerManifest,
		"dataDir":           EtcdDataDir,
		"certs": map[string]any{
			"ca":   EtcdCA,
			"cert": EtcdServerCert,
			"key":  EtcdServerKey,
		},
	}
}
