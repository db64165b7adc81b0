package node

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/ckat/ckat/labs/local/shim"
)

// pinnedDir is where, in a lab's directory, a node start hard-links the
// executables the node runs.
const pinnedDir = "run/bin"

// pinExecutables hard-links ckat (with ckat-shim beside it, when there is
// one) and kube-apiserver into the lab's run/bin and returns the paths
// the node should run them from. A node binds its executables into
// /run/ckat/bin and starts every container from there; when ckat is
// rebuilt or upgraded on the host while the node runs, the host's file is
// replaced, the old one is unlinked, and the kernel refuses to bind an
// unlinked file: etcd, restarted after a manifest edit, would fail with
// "no such file or directory". The lab's own link keeps the file the node
// started with until the node starts again. Where a link cannot be made
// (another filesystem, or a file the user does not own under
// fs.protected_hardlinks), the original paths are returned.
func pinExecutables(labDir, ckat, kubeAPIServer string) (string, string) {
	dir := filepath.Join(labDir, pinnedDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return ckat, kubeAPIServer
	}
	// ckat-shim is found beside ckat: the two move together or not at all.
	files := map[string]string{"ckat": ckat}
	if s := shim.Find(filepath.Dir(ckat)); s != "" {
		files[shim.Executable] = s
	}
	pinnedCkat := ckat
	if linkAll(dir, files) == nil {
		pinnedCkat = filepath.Join(dir, "ckat")
	}
	pinnedAPIServer := kubeAPIServer
	if kubeAPIServer != "" && linkAll(dir, map[string]string{"kube-apiserver": kubeAPIServer}) == nil {
		pinnedAPIServer = filepath.Join(dir, "kube-apiserver")
	}
	return pinnedCkat, pinnedAPIServer
}

// linkAll links each source to dir/NAME, replacing what was there.
func linkAll(dir string, files map[string]string) error {
	var errs []error
	for name, src := range files {
		dst := filepath.Join(dir, name)
		if same(src, dst) {
			continue
		}
		if err := os.Remove(dst); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, os.Link(src, dst))
	}
	return errors.Join(errs...)
}

// same reports whether a and b are the same file.
func same(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}
