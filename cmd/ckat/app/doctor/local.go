package doctor

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ckat/ckat/labs/kind"
)

// LocalChecks checks what the local provider needs: namespaces, the
// kube-apiserver executable (explicit is --kube-apiserver) and overlayfs.
func LocalChecks(explicit string) []kind.Finding {
	return []kind.Finding{namespacesFinding(), kubeAPIServerFinding(explicit), overlayFinding()}
}

// namespacesFinding starts a child process in new user, mount, network and
// PID namespaces, the way a local node starts.
func namespacesFinding() kind.Finding {
	f := kind.Finding{Check: "namespaces", Status: kind.StatusOK}
	err := tryUnshare()
	if err == nil {
		f.Message = "a child process could enter new user, mount, network and PID namespaces"
		return f
	}
	f.Status = kind.StatusProblem
	f.Message = "cannot create user, mount, network and PID namespaces: " + err.Error()
	switch {
	case errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES):
		f.Fix = "allow unprivileged user namespaces (sysctl kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu 23.10 and later, kernel.unprivileged_userns_clone=1 on older Debian), or run ckat as root"
	case errors.Is(err, syscall.ENOSPC):
		f.Fix = "raise the namespace limit: sysctl user.max_user_namespaces=15000"
	case errors.Is(err, syscall.EINVAL):
		f.Fix = "the kernel lacks namespace support (CONFIG_USER_NS, CONFIG_PID_NS, CONFIG_NET_NS); use a standard distribution kernel or --provider kind"
	default:
		f.Fix = "run 'unshare --user --map-root-user --mount --net --pid --fork true' to see the kernel's answer"
	}
	return f
}

// tryUnshare runs `true` in new namespaces, mapping the caller to root in
// the new user namespace as the local provider does when not root.
func tryUnshare() error {
	truePath, err := exec.LookPath("true")
	if err != nil {
		truePath = "/bin/true"
	}
	cmd := exec.Command(truePath)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:                 syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS | syscall.CLONE_NEWNET | syscall.CLONE_NEWPID,
		UidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
		GidMappingsEnableSetgroups: false,
	}
	return cmd.Run()
}

// findKubeAPIServer finds the kube-apiserver the local provider would run:
// explicit, else $CKAT_KUBE_APISERVER, else next to ckat, else PATH.
var findKubeAPIServer = func(explicit string) (string, error) {
	var candidates []string
	switch {
	case explicit != "":
		candidates = []string{explicit}
	case os.Getenv("CKAT_KUBE_APISERVER") != "":
		candidates = []string{os.Getenv("CKAT_KUBE_APISERVER")}
	default:
		if self, err := os.Executable(); err == nil {
			if self, err = filepath.EvalSymlinks(self); err == nil {
				candidates = append(candidates, filepath.Join(filepath.Dir(self), "kube-apiserver"))
			}
		}
		if p, err := exec.LookPath("kube-apiserver"); err == nil {
			candidates = append(candidates, p)
		}
	}
	for _, c := range candidates {
		abs, err := filepath.Abs(c)
		if err != nil {
			continue
		}
		if fi, err := os.Stat(abs); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return abs, nil
		}
		if explicit != "" || len(candidates) == 1 && os.Getenv("CKAT_KUBE_APISERVER") != "" {
			return "", fmt.Errorf("%s is not an executable file", abs)
		}
	}
	return "", errors.New("kube-apiserver not found next to ckat or on PATH")
}

func kubeAPIServerFinding(explicit string) kind.Finding {
	f := kind.Finding{Check: "kube-apiserver", Status: kind.StatusOK}
	p, err := findKubeAPIServer(explicit)
	if err != nil {
		f.Status = kind.StatusProblem
		f.Message = err.Error()
		f.Fix = "build it with 'make kube-apiserver' in ckat's source tree (it writes bin/kube-apiserver next to bin/ckat), or point --kube-apiserver or CKAT_KUBE_APISERVER at one"
		return f
	}
	f.Message = p
	return f
}

// overlayFinding checks that the kernel offers overlayfs, and that an
// unprivileged user may mount it (Linux 5.11 and later).
func overlayFinding() kind.Finding {
	f := kind.Finding{Check: "overlayfs", Status: kind.StatusOK}
	if !hasFilesystem("/proc/filesystems", "overlay") {
		f.Status = kind.StatusProblem
		f.Message = "the kernel does not list overlay in /proc/filesystems"
		f.Fix = "load the module as root: modprobe overlay"
		return f
	}
	f.Message = "the kernel offers overlay"
	if os.Geteuid() != 0 {
		var uts unix.Utsname
		if unix.Uname(&uts) == nil {
			rel := unix.ByteSliceToString(uts.Release[:])
			if !kernelAtLeast(rel, 5, 11) {
				f.Status = kind.StatusProblem
				f.Message = "Linux " + rel + " lets only root mount overlay (unprivileged overlay mounts need 5.11)"
				f.Fix = "run ckat as root, or use a newer kernel"
			}
		}
	}
	return f
}

// hasFilesystem reports whether a /proc/filesystems-style file lists fs.
func hasFilesystem(path, fs string) bool {
	file, err := os.Open(path)
	if err != nil {
		return false
	}
	defer file.Close()
	s := bufio.NewScanner(file)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) > 0 && fields[len(fields)-1] == fs {
			return true
		}
	}
	return false
}

// kernelAtLeast compares a kernel release such as "6.8.0-1017-azure".
func kernelAtLeast(release string, major, minor int) bool {
	var ma, mi int
	if _, err := fmt.Sscanf(release, "%d.%d", &ma, &mi); err != nil {
		return false
	}
	return ma > major || ma == major && mi >= minor
}
