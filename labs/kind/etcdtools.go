package kind

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/ckat/ckat/labs"
)

// etcdToolDir is where the tools are installed on the node, as the CKA
// exam's nodes have them.
const etcdToolDir = "/usr/local/bin"

// etcdTools are the tools copied out of the etcd image, in order.
var etcdTools = []string{"etcdctl", "etcdutl"}

// EtcdToolsResult says what installing the etcd tools on a node did.
type EtcdToolsResult struct {
	Node        string   // the node's name
	EtcdVersion string   // the cluster's etcd version, e.g. "3.6.4"
	Image       string   // the etcd container's image
	Installed   []string // tools now in /usr/local/bin, at EtcdVersion
	Missing     []string // tools the image lacks
}

// Lines tells the learner what was done and, for a missing tool, what to
// do instead.
func (r EtcdToolsResult) Lines() []string {
	var out []string
	if len(r.Installed) > 0 {
		out = append(out, fmt.Sprintf("Installed %s %s in %s on %s, copied from the running etcd container (image %s), so they match the cluster's etcd.",
			strings.Join(r.Installed, " and "), r.EtcdVersion, etcdToolDir, r.Node, r.Image))
	}
	for _, tool := range r.Missing {
		if tool == "etcdutl" && strings.HasPrefix(r.EtcdVersion, "3.4.") {
			out = append(out, fmt.Sprintf("The etcd image %s has no etcdutl: etcd %s predates it (it came with 3.5). Restore with 'ETCDCTL_API=3 etcdctl snapshot restore' instead, as the exam's 3.4 nodes do.", r.Image, r.EtcdVersion))
			continue
		}
		out = append(out, fmt.Sprintf("The etcd image %s has no %s. To get it, download etcd-v%s-linux-amd64.tar.gz (or -arm64) from https://github.com/etcd-io/etcd/releases/tag/v%s on the node and copy %s from it to %s.",
			r.Image, tool, r.EtcdVersion, r.EtcdVersion, tool, etcdToolDir))
	}
	return out
}

// etcdContainer is what crictl says of the etcd container.
type etcdContainer struct {
	id    string
	image string
	pid   int
}

// installEtcdTools copies etcdctl and etcdutl out of the running etcd
// container's root filesystem (/proc/PID/root, the etcd image's files) to
// /usr/local/bin on the node, and checks that they run and report the
// cluster's etcd version.
func installEtcdTools(ctx context.Context, nodeName string, r nodeRunner) (EtcdToolsResult, error) {
	res := EtcdToolsResult{Node: nodeName}
	c, err := findEtcdContainer(ctx, r)
	if err != nil {
		return res, err
	}
	res.Image = c.image
	out, err := run(ctx, r, "crictl", "exec", c.id, "etcd", "--version")
	if err != nil {
		return res, fmt.Errorf("asking the etcd container for its version: %w", err)
	}
	if res.EtcdVersion, err = parseEtcdVersion(out, "etcd Version:"); err != nil {
		return res, err
	}
	rootfs := fmt.Sprintf("/proc/%d/root", c.pid)
	for _, tool := range etcdTools {
		src := path.Join(rootfs, "usr/local/bin", tool)
		if _, err := run(ctx, r, "test", "-f", src); err != nil {
			var ee *labs.ExitError
			if errors.As(err, &ee) {
				res.Missing = append(res.Missing, tool)
				continue
			}
			return res, err
		}
		dst := path.Join(etcdToolDir, tool)
		if _, err := run(ctx, r, "install", "-m", "0755", src, dst); err != nil {
			return res, fmt.Errorf("installing %s: %w", dst, err)
		}
		out, err := run(ctx, r, dst, "version")
		if err != nil {
			return res, fmt.Errorf("%s does not run on the node: %w", dst, err)
		}
		v, err := parseEtcdVersion(out, tool+" version:")
		if err != nil {
			return res, err
		}
		if v != res.EtcdVersion {
			return res, fmt.Errorf("%s reports version %s but etcd is %s", dst, v, res.EtcdVersion)
		}
		res.Installed = append(res.Installed, tool)
	}
	return res, nil
}

// findEtcdContainer finds the running etcd container with crictl.
func findEtcdContainer(ctx context.Context, r nodeRunner) (etcdContainer, error) {
	out, err := run(ctx, r, "crictl", "ps", "--name", "^etcd$", "--state", "Running", "--quiet", "--no-trunc")
	if err != nil {
		return etcdContainer{}, fmt.Errorf("listing the etcd container: %w", err)
	}
	ids := strings.Fields(out)
	if len(ids) == 0 {
		return etcdContainer{}, errors.New("no etcd container runs on the node (see 'crictl ps -a --name etcd' there)")
	}
	out, err = run(ctx, r, "crictl", "inspect", ids[0])
	if err != nil {
		return etcdContainer{}, fmt.Errorf("inspecting the etcd container: %w", err)
	}
	return parseCrictlInspect(ids[0], []byte(out))
}

// parseCrictlInspect reads the image and the host PID from `crictl
// inspect` JSON.
func parseCrictlInspect(id string, data []byte) (etcdContainer, error) {
	var v struct {
		Status struct {
			Image struct {
				Image string `json:"image"`
			} `json:"image"`
		} `json:"status"`
		Info struct {
			Pid int `json:"pid"`
		} `json:"info"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return etcdContainer{}, fmt.Errorf("reading crictl inspect of the etcd container: %w", err)
	}
	if v.Info.Pid <= 0 {
		return etcdContainer{}, errors.New("crictl inspect gave no PID for the etcd container")
	}
	return etcdContainer{id: id, image: v.Status.Image.Image, pid: v.Info.Pid}, nil
}

var etcdVersionRE = regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$`)

// parseEtcdVersion finds the line starting with prefix ("etcd Version:",
// "etcdctl version:") and returns the version after it.
func parseEtcdVersion(out, prefix string) (string, error) {
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), prefix); ok {
			v := strings.TrimSpace(rest)
			if etcdVersionRE.MatchString(v) {
				return v, nil
			}
			return "", fmt.Errorf("unexpected version %q after %q", v, prefix)
		}
	}
	return "", fmt.Errorf("no %q line in %q", prefix, firstLine(out, ""))
}

// run runs args on the node and returns stdout; on failure the error
// carries stderr's first line.
func run(ctx context.Context, r nodeRunner, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	err := r.run(ctx, labs.Command{Args: args, Stdout: &stdout, Stderr: &stderr})
	if err != nil {
		if msg := firstLine(stderr.String(), ""); msg != "" {
			return "", fmt.Errorf("%s: %w", msg, err)
		}
		return "", err
	}
	return stdout.String(), nil
}
