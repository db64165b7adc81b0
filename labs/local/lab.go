package local

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/labs/local/node"
)

// lab is one local lab, read from its directory.
type lab struct {
	name    string
	dir     string
	created time.Time
}

var _ labs.Lab = (*lab)(nil)

func (l *lab) Name() string     { return l.name }
func (l *lab) Provider() string { return ProviderName }

// kubeconfigPath is the host kubeconfig of a lab (run/kubeconfig).
func kubeconfigPath(labDir string) string { return filepath.Join(labDir, "run", "kubeconfig") }

// Status says whether the lab's node runs, and where its API server is.
func (l *lab) Status(context.Context) (labs.Status, error) {
	s := labs.Status{Name: l.name, Provider: ProviderName, Node: NodeName, Created: l.created}
	st, err := readState(l.dir)
	if err != nil {
		s.State, s.Message = labs.StateDead, err.Error()
		return s, nil
	}
	s.NodeIP = st.NodeIP
	s.State, s.Message, s.Remedy = stateOf(st)
	if s.State == labs.StateRunning {
		s.APIServer = apiServerURL(st.APIPort)
	}
	return s, nil
}

// stateOf tells a lab's life state from its state file, with a one-line
// message and a remedy for a lab that does not run.
func stateOf(st state) (labs.State, string, labs.Remedy) {
	switch {
	case st.running():
		return labs.StateRunning, "", ""
	case st.Stopped:
		return labs.StateStopped, "", labs.RemedyStart
	case st.PID == 0:
		return labs.StateDead, "its node never started (it is being created, or its creation failed)", labs.RemedyDelete
	}
	return labs.StateDead, "its node's processes are gone (killed, or the machine restarted), and its data is kept", labs.RemedyStart
}

// notRunning is the error for a lab that does not run: what its state
// says, and its remedy.
func notRunning(name string, st state) error {
	_, msg, remedy := stateOf(st)
	err := fmt.Errorf("lab %q is not running", name)
	if msg != "" {
		err = fmt.Errorf("lab %q is not running: %s", name, msg)
	}
	return labs.WithRemedy(err, remedy, name)
}

func apiServerURL(port int) string { return fmt.Sprintf("https://127.0.0.1:%d", port) }

// Node returns the lab's control-plane node. While the lab does not run,
// every method of the node returns an error saying so.
func (l *lab) Node() labs.Node {
	st, err := readState(l.dir)
	if err == nil && st.running() {
		return node.New(NodeName, st.PID)
	}
	if err == nil {
		err = notRunning(l.name, st)
	}
	return downNode{err: err}
}

// RESTConfig is the admin's client config through the forwarded API port.
func (l *lab) RESTConfig(ctx context.Context) (*rest.Config, error) {
	data, err := l.Kubeconfig(ctx)
	if err != nil {
		return nil, err
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(data)
	if err != nil {
		return nil, fmt.Errorf("lab %q: %s: %w", l.name, kubeconfigPath(l.dir), err)
	}
	return cfg, nil
}

// Kubeconfig returns run/kubeconfig, the admin's kubeconfig for host
// tools. It fails while the lab does not run, as its port is then stale.
func (l *lab) Kubeconfig(context.Context) ([]byte, error) {
	st, err := readState(l.dir)
	if err != nil {
		return nil, fmt.Errorf("lab %q: %w", l.name, err)
	}
	if !st.running() {
		return nil, notRunning(l.name, st)
	}
	data, err := os.ReadFile(kubeconfigPath(l.dir))
	if err != nil {
		return nil, fmt.Errorf("lab %q: reading its kubeconfig: %w", l.name, err)
	}
	return data, nil
}

// downNode is the node of a lab that does not run.
type downNode struct{ err error }

func (n downNode) Name() string                                       { return NodeName }
func (n downNode) Stat(context.Context, string) (fs.FileInfo, error)  { return nil, n.err }
func (n downNode) Lstat(context.Context, string) (fs.FileInfo, error) { return nil, n.err }
func (n downNode) ReadFile(context.Context, string) ([]byte, error)   { return nil, n.err }
func (n downNode) ReadDir(context.Context, string) ([]fs.DirEntry, error) {
	return nil, n.err
}
func (n downNode) RealPath(context.Context, string) (string, error) { return "", n.err }
func (n downNode) HostPath(context.Context, string) (string, func(), error) {
	return "", nil, n.err
}
func (n downNode) Exec(context.Context, labs.Command) error { return n.err }
