// Package cri is the CRI endpoint of a lab's node: the node agent serves
// k8s.io/cri-api's RuntimeService and ImageService on
// /run/containerd/containerd.sock, where a kubeadm node's containerd
// listens, so that the upstream crictl (and anything else speaking CRI)
// sees the static pods the agent runs.
//
// What the agent runs is real: each pod is a sandbox, each run of a
// container a container with its own ID, state, exit code and CRI log
// file; `crictl stop` ends the process and the agent, as the kubelet
// would, starts the container again under a new ID. What ckat does not do
// (images, sandboxes of their own, exec, attach, port-forward, creating
// containers outside the kubelet) answers Unimplemented with a message
// that says so and what to do instead.
//
// ckat has no images: an image is known by the name a manifest gives it,
// and its ID is the SHA-256 of that name (ImageID), so that `crictl ps`,
// `crictl images` and the mirror pods' imageID agree.
package cri

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/distribution/reference"
	corev1 "k8s.io/api/core/v1"
)

// The runtime's identity in Version. The kubelet names containers
// RUNTIMENAME://ID (kubeGenericRuntimeManager.Type in
// pkg/kubelet/kuberuntime/kuberuntime_manager.go): the node answers as
// containerd does on a kubeadm node. The runtime version, which the
// kubelet parses as a semantic version, is the server's Options.Version.
const (
	RuntimeName       = "containerd"
	RuntimeAPIVersion = "v1"
)

// Socket is where a kubeadm node's containerd serves the CRI, and where
// crictl looks first.
const Socket = "/run/containerd/containerd.sock"

// Runtime is what the server needs of the node agent.
type Runtime interface {
	// Pods lists the pods the agent runs, with their containers.
	Pods() []Pod
	// StopContainer stops the running container id (a full ID): SIGTERM,
	// then SIGKILL after timeout, or SIGKILL at once when timeout is 0. It
	// returns once the process has exited; stopping a container that has
	// exited does nothing.
	StopContainer(id string, timeout time.Duration) error
	// RemoveContainer stops container id if it runs, then forgets it.
	RemoveContainer(id string) error
}

// Pod is a pod sandbox: one static pod as the agent runs it.
type Pod struct {
	ID string
	// Pod is the pod as decoded from its manifest, with the kubelet's
	// defaults (name with the node's suffix, UID).
	Pod          *corev1.Pod
	CreatedAt    time.Time
	Ready        bool   // false once the agent is stopping the pod
	LogDirectory string // /var/log/pods/NAMESPACE_NAME_UID
	Containers   []Container
}

// State is a container's CRI state.
type State int

// The container states the agent has.
const (
	Running State = iota
	Exited
)

// Container is one run of one of a pod's containers.
type Container struct {
	ID      string
	Name    string // the container's name in the pod
	Attempt int    // 0 for the first run, then one more per restart
	State   State
	// CreatedAt and StartedAt are when the run started; FinishedAt when
	// it ended, for an exited container.
	CreatedAt, StartedAt, FinishedAt time.Time
	ExitCode                         int
	Reason, Message                  string
	PID                              int
	LogPath                          string // the run's CRI log file
	Mounts                           []Mount
}

// Mount is a volume bound into a container.
type Mount struct {
	ContainerPath, HostPath string
	ReadOnly                bool
}

// NormalizeImage is the full reference containerd stores for an image
// name: "nginx" is docker.io/library/nginx:latest. A name that is not a
// valid reference is kept as it is.
func NormalizeImage(name string) string {
	ref, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return name
	}
	return reference.TagNameOnly(ref).String()
}

// ImageID is the ID ckat gives the image name: sha256: and the SHA-256
// of its normalized reference.
func ImageID(name string) string {
	sum := sha256.Sum256([]byte(NormalizeImage(name)))
	return "sha256:" + hex.EncodeToString(sum[:])
}
