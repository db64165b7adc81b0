// Package node makes a process tree look like a kubeadm control-plane
// node, and reads and runs commands on such a node from the host.
//
// Start spawns `ckat __node LABDIR` in new mount, network, UTS and PID
// namespaces (and a user namespace when not root). That process, PID 1 of
// the node (Init), builds the node's root filesystem from the host's with
// the node's persistent directories laid over it, pivots into it, sets the
// hostname and the node IP, forwards two host ports into the node, reaps
// orphans, and runs the node agent as its child. New returns the host's
// view of a running node: files through /proc/PID/root with every path
// resolved inside the node's root, and commands run through package
// nsenter.
//
// The node's filesystem: /etc, /var and /usr/local are overlays of the
// host's with the lab's node/etc, node/var and node/usr-local as upper
// layers; /opt, /srv, /root and /tmp are the lab's node/NAME; /run is a
// fresh tmpfs holding the host's ckat and kube-apiserver in /run/ckat/bin;
// /proc is the node's own; everything else is the host's, bound as it is.
//
// Run by a user other than root, the node is in a user namespace mapping
// its root to that user. The host's files then belong to an unmapped user:
// the node's root can read them, and can create, replace and delete files
// in /etc, /var and /usr/local (their directories, three levels down, are
// copied into the upper layer at each boot), but cannot write a host file
// in place.
package node

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/ckat/ckat/internal/kubeadm"
	"github.com/ckat/ckat/labs/local/nsenter"
)

// Node paths and names shared by PID 1, the agent and the host.
const (
	// BinDir is the node directory holding the host's executables.
	BinDir = "/run/ckat/bin"
	// CkatBin is the host's ckat executable inside the node.
	CkatBin = BinDir + "/ckat"
	// KubeAPIServerBin is the host's kube-apiserver inside the node, which
	// also runs the other KubeCommands.
	KubeAPIServerBin = BinDir + "/kube-apiserver"
	// AgentConfigFile is the agent's configuration inside the node.
	AgentConfigFile = "/run/ckat/agent.json"
	// PodStatusFile is where the agent keeps its static pods' status
	// inside the node (agent.Config.StatusFile).
	PodStatusFile = "/run/ckat/pods.json"
	// Path is the node's PATH.
	Path = nsenter.Path
	// Kubeconfig is the node's KUBECONFIG.
	Kubeconfig = nsenter.Kubeconfig
	// Home is root's home directory on the node.
	Home = nsenter.Home
)

// Tools are the multi-call names linked to ckat in the node's
// /usr/local/bin: the upstream tools, the kubelet, and systemd's
// systemctl and journalctl (package systemd).
var Tools = []string{"etcd", "etcdctl", "etcdutl", "kubectl", "crictl", "kubelet", "systemctl", "journalctl"}

// KubeCommands are the control-plane commands the kube-apiserver
// executable runs by the name it is run under: ckat's build of it
// (tools/kube) is kube-apiserver, kube-controller-manager and
// kube-scheduler in one, as hyperkube was.
var KubeCommands = []string{kubeadm.KubeAPIServer, kubeadm.KubeControllerManager, kubeadm.KubeScheduler}

// Options say how to start a lab's node.
type Options struct {
	// LabDir is the lab's directory (labs.Dir): node/ holds the node's
	// persistent files, work/ the overlay work directories, run/ the
	// host-side runtime files.
	LabDir string
	// NodeName is the node's hostname ("controlplane").
	NodeName string
	// NodeIP is the node's address, put on the node's lo ("172.30.N.10").
	NodeIP string
	// CkatPath is the host path of the ckat executable to run as PID 1 and
	// to bind into the node; empty means the current executable.
	CkatPath string
	// KubeAPIServerPath is the host path of the kube-apiserver executable
	// bound into the node; empty binds none.
	KubeAPIServerPath string
	// APIListener and EtcdListener are bound on the host's 127.0.0.1; PID 1
	// forwards their connections to the node's 127.0.0.1:6443 and :2379.
	APIListener, EtcdListener *net.TCPListener
	// LogFile receives PID 1's and the agent's output (appended).
	LogFile string
}

// config is what Start hands to PID 1, in run/node.json.
type config struct {
	NodeName          string `json:"nodeName"`
	NodeIP            string `json:"nodeIP"`
	CkatPath          string `json:"ckatPath"`
	KubeAPIServerPath string `json:"kubeAPIServerPath,omitempty"`
}

func configPath(labDir string) string { return filepath.Join(labDir, "run", "node.json") }

func writeConfig(labDir string, c config) error {
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(labDir, "run"), 0o755); err != nil {
		return fmt.Errorf("creating the lab's run directory: %w", err)
	}
	if err := os.WriteFile(configPath(labDir), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing the node's configuration: %w", err)
	}
	return nil
}

func readConfig(labDir string) (config, error) {
	var c config
	data, err := os.ReadFile(configPath(labDir))
	if err != nil {
		return c, fmt.Errorf("reading the node's configuration: %w", err)
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("node configuration %s: %w", configPath(labDir), err)
	}
	if c.NodeName == "" || c.NodeIP == "" || c.CkatPath == "" {
		return c, fmt.Errorf("node configuration %s: nodeName, nodeIP and ckatPath must be set", configPath(labDir))
	}
	return c, nil
}

// checkMountPath rejects paths the overlay mount options cannot carry.
func checkMountPath(p string) error {
	if strings.ContainsAny(p, ",:\\") {
		return fmt.Errorf("the lab directory %s contains ',', ':' or '\\', which overlay mounts cannot use: set CKAT_HOME to a plain path", p)
	}
	return nil
}
