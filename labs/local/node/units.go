package node

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/ckat/ckat/internal/kubeadm"
)

// installPackageFiles writes the kubelet's unit, kubeadm's drop-in and
// /etc/default/kubelet, as their packages install them, into the node's
// upper layers (node/usr/lib, node/etc) unless the node has them, or has
// deleted them.
func installPackageFiles(labDir string) error {
	base := filepath.Join(labDir, "node")
	for path, text := range map[string]string{
		kubeadm.KubeletServiceFile:  kubeadm.KubeletServiceText,
		kubeadm.KubeadmDropInFile:   kubeadm.KubeadmDropInText,
		kubeadm.KubeletDefaultsFile: "KUBELET_EXTRA_ARGS=\n",
	} {
		p := filepath.Join(base, path)
		if _, err := os.Lstat(p); err == nil {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			return fmt.Errorf("installing %s: %w", path, err)
		}
	}
	return nil
}

// mountUnitDir gives the node its own systemd unit directory: an overlay
// over the deepest of /usr/lib/systemd/system, /usr/lib/systemd and
// /usr/lib the host has, with node/usr/lib/... as the upper layer.
func mountUnitDir(labDir, rootfs string, userns bool) error {
	base := filepath.Join(labDir, "node")
	dir := kubeadm.SystemdUnitDir
	for dir != "/usr" {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			break
		}
		dir = filepath.Dir(dir)
	}
	if dir == "/usr" {
		return fmt.Errorf("the host has no /usr/lib to hold the kubelet's unit")
	}
	upper := filepath.Join(base, dir)
	work := filepath.Join(labDir, "work", "usr-lib-systemd")
	for _, d := range []string{upper, work} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", dir, upper, work)
	if userns {
		opts += ",userxattr"
	}
	if err := unix.Mount("overlay", filepath.Join(rootfs, dir), "overlay", 0, opts); err != nil {
		return fmt.Errorf("mounting the node's %s (overlay %s): %w", dir, opts, err)
	}
	return nil
}
