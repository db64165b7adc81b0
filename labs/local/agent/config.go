// Package agent is the lab node's agent: it does the kubelet's job for
// static pods. It watches the manifest directory, runs each pod's
// containers as processes in their own mount namespaces, restarts them
// with the kubelet's back-off, writes their logs where the kubelet does,
// keeps a status file for the host, and publishes the Node object and the
// mirror pods once the API server answers.
//
// The manifest directory is read as kubelet v1.37 reads it (see fileSource
// in source.go for each rule and the upstream code it mirrors):
//   - every entry whose name does not start with '.' is a manifest,
//     whatever it ends in (pkg/kubelet/config/file.go, extractFromDir);
//   - a manifest is decoded and validated by internal/staticpod, the
//     kubelet's decoder and Pod validation (pkg/kubelet/config/common.go,
//     tryDecodeSinglePod);
//   - one pod runs per namespace/name (file.go, the store keyed by
//     cache.MetaNamespaceKeyFunc);
//   - the whole directory is re-read every 20s, the kubelet's default
//     --file-check-frequency, and of two files defining one pod the last
//     in name order wins (file.go, listConfig and replaceStore): a copy
//     etcd.yaml.bak beats an edited etcd.yaml;
//   - between re-reads the directory is watched with inotify, as the
//     kubelet watches it (file_linux.go, startWatch and doWatch), and each
//     event is consumed in turn: a changed file's pod replaces the pod of
//     that name and a removed or renamed file's pod stops (produceWatchEvent
//     and consumeWatchEvent), so a manifest moved out and straight back
//     restarts its pod, and a file that comes and goes (sed -i's temporary
//     file, vim's etcd.yaml~) is acted on as the kubelet acts on it.
//
// Each container runs through `ckat __container` in a mount namespace of
// its own, rooted in a scratch directory under Config.ContainerDir that
// holds the node's /usr, /lib*, /bin, /sbin, /dev, /sys (read-only where a
// container image would be), a fresh /proc, a copied minimal /etc and its
// volumes: a path on no volume is lost when the container is replaced, as
// on a real node. Containers share the node's network and PID namespaces
// (every static pod here is hostNetwork).
//
// Liveness and startup probes are not run: a container is restarted only
// when its process exits. Readiness is probed (see probe.go). Init
// containers and volume types other than hostPath and emptyDir are not
// supported, and as there are no images a container needs a command; a
// manifest that needs them is reported as InvalidManifest (agentLimits).
// A relative hostPath, which the kubelet's validation accepts, fails to
// mount here. Resource requests and limits, security contexts and images
// are recorded, not enforced.
package agent

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// Config says where the agent finds manifests and executables and where it
// writes logs, status and scratch filesystems. Paths are node paths.
type Config struct {
	NodeName     string            `json:"nodeName"`
	NodeIP       string            `json:"nodeIP"`
	ManifestDir  string            `json:"manifestDir"`  // /etc/kubernetes/manifests; empty: no static pods
	PodLogDir    string            `json:"podLogDir"`    // /var/log/pods
	StatusFile   string            `json:"statusFile"`   // /run/ckat/pods.json
	ContainerDir string            `json:"containerDir"` // /run/ckat/containers (scratch roots)
	Kubeconfig   string            `json:"kubeconfig"`   // /etc/kubernetes/kubelet.conf
	Binaries     map[string]string `json:"binaries"`     // command name -> executable, e.g. "etcd" -> /run/ckat/bin/ckat
	// KeepPodsOnExit leaves the containers running when the agent exits,
	// as the kubelet does; the next agent takes them over.
	KeepPodsOnExit bool `json:"keepPodsOnExit,omitempty"`
	// ContainerLogDir, when set, gets the kubelet's links to the
	// containers' logs (/var/log/containers).
	ContainerLogDir string `json:"containerLogDir,omitempty"`
	// CRISocket, when set, is where the agent serves the CRI
	// (/run/containerd/containerd.sock).
	CRISocket string `json:"criSocket,omitempty"`
	// FileCheckFrequency is how often the whole manifest directory is
	// re-read; zero means the kubelet's default, 20s. Tests shorten it.
	FileCheckFrequency time.Duration `json:"-"`
	// KubeAPIQPS and KubeAPIBurst limit the agent's requests to the API
	// server, as the kubelet's kubeAPIQPS and kubeAPIBurst limit its
	// client's; both zero means the kubelet's defaults, 50 and 100.
	KubeAPIQPS   float32 `json:"kubeAPIQPS,omitempty"`
	KubeAPIBurst int     `json:"kubeAPIBurst,omitempty"`
}

// apiRateLimit is the agent's client-side limit on API requests in
// effect. Where only one is set, client-go's own default takes the other
// (5 requests a second, bursts of 10), as it does for the kubelet.
func (c Config) apiRateLimit() (qps float32, burst int) {
	if c.KubeAPIQPS == 0 && c.KubeAPIBurst == 0 {
		return defaultKubeAPIQPS, defaultKubeAPIBurst
	}
	return c.KubeAPIQPS, c.KubeAPIBurst
}

// fileCheckFrequency is the re-read period in effect.
func (c Config) fileCheckFrequency() time.Duration {
	if c.FileCheckFrequency > 0 {
		return c.FileCheckFrequency
	}
	return fileCheckFrequency
}

// ReadConfig reads a Config from a JSON file and checks it.
func ReadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("reading agent config: %w", err)
	}
	var cfg Config
	if err := json.Unmarshal(data, &cfg); err != nil {
		return Config{}, fmt.Errorf("agent config %s: %w", path, err)
	}
	return cfg, cfg.Validate()
}

// Validate checks that the fields the agent cannot do without are set.
func (c Config) Validate() error {
	for _, f := range []struct{ name, value string }{
		{"nodeName", c.NodeName}, {"podLogDir", c.PodLogDir},
		{"statusFile", c.StatusFile}, {"containerDir", c.ContainerDir},
	} {
		if f.value == "" {
			return fmt.Errorf("agent config: %s is not set", f.name)
		}
	}
	return nil
}
