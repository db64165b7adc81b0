// Package labs is a lab's lifecycle behind one provider interface, and the
// node interface through which the grader and the CLI reach a lab's
// control-plane node. Providers live in subpackages (local, kind); package
// providers maps their names to implementations.
package labs

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"k8s.io/client-go/rest"
)

// Provider creates and manages labs of one kind.
type Provider interface {
	// Name is the provider's name as users type it: "local" or "kind".
	Name() string
	// Create makes a new lab and returns it once its API server is ready.
	Create(ctx context.Context, opts CreateOptions) (Lab, error)
	// Get returns an existing lab, running or not.
	Get(ctx context.Context, name string) (Lab, error)
	// Start starts a stopped (or dead) lab again with its data.
	Start(ctx context.Context, name string) error
	// Stop stops a lab's processes or containers, keeping its data.
	Stop(ctx context.Context, name string) error
	// Delete stops a lab and removes everything it made.
	Delete(ctx context.Context, name string) error
	// Preflight checks what the provider needs on this machine, one
	// finding per check, each with its fix.
	Preflight(ctx context.Context) []Finding
}

// CreateOptions says what lab to make.
type CreateOptions struct {
	// Name is the lab's name (see ValidateName).
	Name string
	// Config names the kindconfigs entry a kind lab uses; the local
	// provider makes one control-plane node and ignores it.
	Config string
	// WaitReady bounds how long Create waits for the API server.
	WaitReady time.Duration
	// Components are the control-plane static pods the local provider
	// runs (internal/kubeadm.ValidateComponents); empty means all four.
	// The kind provider runs all four whatever it says.
	Components []string
}

// Lab is one lab: a cluster with a control-plane node.
type Lab interface {
	// Name is the lab's name.
	Name() string
	// Provider is the name of the provider that made it.
	Provider() string
	// Status says whether the lab runs and where.
	Status(ctx context.Context) (Status, error)
	// Node is the lab's control-plane node.
	Node() Node
	// RESTConfig is an admin client config that works from the host.
	RESTConfig(ctx context.Context) (*rest.Config, error)
	// Kubeconfig is the same access as a kubeconfig file for host tools.
	Kubeconfig(ctx context.Context) ([]byte, error)
}

// State is a lab's life state.
type State string

// Lab states.
const (
	StateRunning State = "running"
	StateStopped State = "stopped"
	// StateDead is a lab whose processes went away without a stop
	// (killed, or the machine rebooted); starting it again keeps its data.
	StateDead State = "dead"
)

// Status is what `ckat lab list` shows of a lab.
type Status struct {
	Name     string `json:"name"`
	Provider string `json:"provider"`
	State    State  `json:"state"`
	Node     string `json:"node"`
	// NodeIP is the node's address, where etcd and the API server listen
	// besides 127.0.0.1 (kubeadm's advertise address); "" when unknown.
	NodeIP    string    `json:"nodeIP,omitempty"`
	APIServer string    `json:"apiServer,omitempty"`
	Created   time.Time `json:"created"`
	// Message explains a state other than running, in one line.
	Message string `json:"message,omitempty"`
	// Remedy is what brings a lab that does not run back, if anything;
	// the command layer adds it to Message.
	Remedy Remedy `json:"-"`
}

// Node is a lab's control-plane node seen from the host. Paths are node
// paths (/etc/kubernetes/manifests/etcd.yaml), resolved as the node sees
// them. Errors for files keep fs.ErrNotExist and fs.ErrPermission
// detectable with errors.Is.
type Node interface {
	// Name is the node's hostname, the suffix of its mirror pods' names.
	Name() string
	// Stat returns a file's info, following symlinks.
	Stat(ctx context.Context, path string) (fs.FileInfo, error)
	// Lstat returns a file's info without following a final symlink.
	Lstat(ctx context.Context, path string) (fs.FileInfo, error)
	// ReadFile reads a whole file. Callers check the size with Stat first
	// where a file may be large.
	ReadFile(ctx context.Context, path string) ([]byte, error)
	// ReadDir lists a directory, sorted by name.
	ReadDir(ctx context.Context, path string) ([]fs.DirEntry, error)
	// RealPath returns the absolute, clean path that path resolves to on
	// the node, every symlink followed, as realpath -e does there: two
	// paths to one directory through symlinks have the same RealPath. A
	// path that does not exist is fs.ErrNotExist. It copies nothing.
	RealPath(ctx context.Context, path string) (string, error)
	// HostPath returns a host path at which the node's file or directory
	// can be read, copying it out first where the provider must. release
	// removes any copy; it is never nil when err is nil.
	HostPath(ctx context.Context, path string) (hostPath string, release func(), err error)
	// Exec runs a command on the node as root, with the node's PATH and
	// KUBECONFIG. A command that ran and exited non-zero returns an
	// *ExitError.
	Exec(ctx context.Context, cmd Command) error
}

// Command is a command to run on a node.
type Command struct {
	Args   []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Env adds NAME=VALUE pairs to the node's environment.
	Env []string
	// Dir is the working directory; empty means /root.
	Dir string
	// TTY asks for an interactive terminal (ckat ssh).
	TTY bool
}

// ExitError is a node command that ran and exited with a non-zero status.
type ExitError struct {
	Args []string
	Code int
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("%s: exit status %d", strings.Join(e.Args, " "), e.Code)
}
