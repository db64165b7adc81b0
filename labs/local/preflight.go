package local

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ckat/ckat/labs"
)

// Preflight checks what a local lab needs on this machine: Linux
// namespaces, the kube-apiserver executable Create would run, overlayfs,
// and inotify instances for one more lab.
func (p *Provider) Preflight(context.Context) []labs.Finding {
	f := []labs.Finding{namespacesFinding(), p.kubeAPIServerFinding(), overlayFinding()}
	if limit, inUse, ok := labs.InotifyInstances(); ok {
		f = append(f, inotifyFinding(limit, inUse))
	}
	return f
}

// inotifyFinding says how many more labs the user's inotify instances
// hold. None is a warning, not a problem: the lab runs, but its kubelet
// sees a moved manifest only at its next re-read of the directory, as a
// real kubelet that cannot watch does.
func inotifyFinding(limit, inUse int) labs.Finding {
	f := labs.Finding{Check: "inotify", Status: labs.FindingOK}
	fit := max(limit-inUse, 0) / labs.InotifyInstancesPerLab
	f.Message = fmt.Sprintf("%d of fs.inotify.max_user_instances=%d in use: room for %d more labs (%d each)", inUse, limit, fit, labs.InotifyInstancesPerLab)
	if fit == 0 {
		f.Status = labs.FindingWarning
		f.Message += "; a new lab's kubelet could not watch its manifests and would see a moved manifest only 20 s later"
		f.Fix = "as root: " + labs.InotifyRaise(inUse, 10)
	}
	return f
}

// namespacesFinding starts a child process in new user, mount, network and
// PID namespaces, the way a local node starts.
func namespacesFinding() labs.Finding {
	f := labs.Finding{Check: "namespaces", Status: labs.FindingOK}
	err := tryUnshare()
	if err == nil {
		f.Message = "a child process could enter new user, mount, network and PID namespaces"
		return f
	}
	f.Status = labs.FindingProblem
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

// kubeAPIServerFinding looks for the kube-apiserver as Create does.
func (p *Provider) kubeAPIServerFinding() labs.Finding {
	f := labs.Finding{Check: "kube-apiserver", Status: labs.FindingOK}
	ckat, err := p.ckatExecutable()
	if err == nil {
		f.Message, err = findKubeAPIServer(p.kubeAPIServer, ckat)
	}
	if err != nil {
		f.Status = labs.FindingProblem
		f.Message = err.Error()
		var kerr *kubeAPIServerError
		if errors.As(err, &kerr) {
			f.Message, f.Fix = kerr.problem, buildHint
		}
	}
	return f
}

// overlayFinding checks that the kernel offers overlayfs, and that an
// unprivileged user may mount it (Linux 5.11 and later).
func overlayFinding() labs.Finding {
	f := labs.Finding{Check: "overlayfs", Status: labs.FindingOK}
	if !hasFilesystem("/proc/filesystems", "overlay") {
		f.Status = labs.FindingProblem
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
				f.Status = labs.FindingProblem
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
