package node

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ckat/ckat/labs/local/cri"
)

// claimDepth is how deep claimDirs goes below each overlay's root.
var claimDepth = map[string]int{"/etc": 3, "/var": 3, "/usr/local": 2}

// claimDirs creates in upper, down to depth levels, each directory lower
// has and upper lacks, with lower's mode. In a user namespace the host's
// directories belong to an unmapped user, so the node's root could not
// create anything in them (mkdir /var/lib/etcd-from-backup); a directory
// present in the upper layer is the node's own. Whiteouts and opaque
// directories (what the node deleted or replaced) are left alone.
func claimDirs(lower, upper string, depth int) error {
	if depth == 0 {
		return nil
	}
	entries, err := os.ReadDir(lower)
	if err != nil {
		return nil // unreadable: nothing to claim
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		lp, up := filepath.Join(lower, e.Name()), filepath.Join(upper, e.Name())
		fi, err := os.Lstat(up)
		switch {
		case err == nil && !fi.IsDir():
			continue
		case err == nil:
			if _, err := unix.Lgetxattr(up, "user.overlay.opaque", nil); err == nil {
				continue
			}
		case errors.Is(err, os.ErrNotExist):
			lfi, err := os.Stat(lp)
			if err != nil {
				continue
			}
			if err := os.Mkdir(up, 0o700); err != nil {
				return fmt.Errorf("creating the node's %s: %w", lp, err)
			}
			if err := os.Chmod(up, lfi.Mode()&(os.ModePerm|os.ModeSticky|os.ModeSetgid)); err != nil {
				return err
			}
		default:
			continue
		}
		if err := claimDirs(lp, up, depth-1); err != nil {
			return err
		}
	}
	return nil
}

// linkTools links the multi-call tools in dir, the upper directory of the
// node's /usr/local/bin, to ckat, leaving alone any name the node already
// has there (a file, a link, or the whiteout of a deleted one).
func linkTools(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, tool := range Tools {
		link := filepath.Join(dir, tool)
		if _, err := os.Lstat(link); err == nil {
			continue
		}
		if err := os.Symlink(CkatBin, link); err != nil {
			return fmt.Errorf("linking %s: %w", link, err)
		}
	}
	return nil
}

// crictlConfig is /etc/crictl.yaml as kubeadm nodes have it: crictl talks
// to containerd's socket, which the node agent serves (package cri).
var crictlConfig = "runtime-endpoint: unix://" + cri.Socket + "\nimage-endpoint: unix://" + cri.Socket + "\ntimeout: 10\ndebug: false\n"

// writeCrictlConfig writes crictl.yaml in etc, the upper directory of the
// node's /etc, unless the node has one there (a file, or the whiteout of
// a deleted one).
func writeCrictlConfig(etc string) error {
	path := filepath.Join(etc, "crictl.yaml")
	if _, err := os.Lstat(path); err == nil {
		return nil
	}
	if err := os.MkdirAll(etc, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(crictlConfig), 0o644); err != nil {
		return fmt.Errorf("writing the node's /etc/crictl.yaml: %w", err)
	}
	return nil
}

// addHostsEntry makes name resolve to ip in the hosts file unless a line
// already names it. The file is replaced, not written in place: in a user
// namespace the host's copy belongs to an unmapped user.
func addHostsEntry(path, name, ip string) error {
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		for _, f := range fields[min(1, len(fields)):] {
			if f == name {
				return nil
			}
		}
	}
	if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n")) {
		data = append(data, '\n')
	}
	data = append(data, fmt.Sprintf("%s\t%s\n", ip, name)...)
	tmp := path + ".ckat"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
