package local

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// KubeAPIServerEnv names the environment variable that points at a
// kube-apiserver executable. It must be ckat's build (tools/kube), which
// also runs as kube-controller-manager and kube-scheduler by the name it is
// run under: the node runs those two static pods from it too
// (node.KubeCommands).
const KubeAPIServerEnv = "CKAT_KUBE_APISERVER"

// buildHint says how to get a kube-apiserver, the same for every way the
// search can fail.
const buildHint = "build it with 'make kube-apiserver' in ckat's source tree (it writes bin/kube-apiserver next to bin/ckat), or point --kube-apiserver or " + KubeAPIServerEnv + " at one"

// findKubeAPIServer returns the kube-apiserver to run: explicit (from
// --kube-apiserver) if set, else $CKAT_KUBE_APISERVER, else the one next to
// the ckat executable, else the one on PATH.
func findKubeAPIServer(explicit, ckatPath string) (string, error) {
	if explicit != "" {
		return checkExecutable(explicit, "--kube-apiserver")
	}
	if env := os.Getenv(KubeAPIServerEnv); env != "" {
		return checkExecutable(env, KubeAPIServerEnv)
	}
	if ckatPath != "" {
		beside := filepath.Join(filepath.Dir(ckatPath), "kube-apiserver")
		if p, err := checkExecutable(beside, ""); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("kube-apiserver"); err == nil {
		return filepath.Abs(p)
	}
	return "", &kubeAPIServerError{fmt.Sprintf("kube-apiserver not found next to %s or on PATH", ckatPath)}
}

// kubeAPIServerError is a kube-apiserver the search could not use: the
// problem, then how to get one (buildHint).
type kubeAPIServerError struct{ problem string }

func (e *kubeAPIServerError) Error() string { return e.problem + ": " + buildHint }

// checkExecutable returns path made absolute if it is an executable
// regular file; from names where the path came from, for the error.
func checkExecutable(path, from string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, os.ErrNotExist):
		err = &kubeAPIServerError{fmt.Sprintf("kube-apiserver %s (from %s) does not exist", abs, from)}
	case err != nil:
		err = fmt.Errorf("kube-apiserver %s (from %s): %w", abs, from, err)
	case !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0:
		err = &kubeAPIServerError{fmt.Sprintf("kube-apiserver %s (from %s) is not an executable file", abs, from)}
	}
	if err != nil {
		return "", err
	}
	return abs, nil
}

// ckatExecutable returns the host path of the ckat binary the node runs:
// the one given to the provider (WithCkat), else this process's
// executable.
func (p *Provider) ckatExecutable() (string, error) {
	path := p.ckat
	if path == "" {
		var err error
		if path, err = os.Executable(); err != nil {
			return "", fmt.Errorf("finding the ckat executable: %w", err)
		}
	}
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("finding the ckat executable: %w", err)
	}
	return filepath.Abs(resolved)
}
