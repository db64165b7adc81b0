package labs

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// InotifyInstancesPerLab is how many inotify instances one running lab
// holds: the kubelet's watch of its static pod directory (1),
// kube-apiserver's watches of its certificate and key files (6) and
// kube-controller-manager's (2), counted on a running lab. Every lab of
// one user draws on that user's fs.inotify.max_user_instances (128 by
// default): past it, a lab's kubelet cannot watch its manifests and sees
// a moved manifest only at its next re-read of the directory, 20 s later,
// as a real kubelet would.
const InotifyInstancesPerLab = 9

// maxUserInstancesPath is the per-user limit of inotify instances.
const maxUserInstancesPath = "/proc/sys/fs/inotify/max_user_instances"

// InotifyRaise is the command that lets a machine hold n more labs' inotify
// instances on top of those in use.
func InotifyRaise(inUse, n int) string {
	want := 1024
	for want < inUse+n*InotifyInstancesPerLab {
		want *= 2
	}
	return fmt.Sprintf("sysctl -w fs.inotify.max_user_instances=%d", want)
}

// InotifyInstances returns this user's limit of inotify instances
// (fs.inotify.max_user_instances) and how many its processes hold now,
// counted from their open file descriptors. ok is false when the limit
// cannot be read.
func InotifyInstances() (limit, inUse int, ok bool) {
	data, err := os.ReadFile(maxUserInstancesPath)
	if err != nil {
		return 0, 0, false
	}
	limit, err = strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return 0, 0, false
	}
	uid := strconv.Itoa(os.Getuid())
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		if _, err := strconv.Atoi(p.Name()); err != nil || procRealUID(p.Name()) != uid {
			continue
		}
		fds, _ := os.ReadDir(filepath.Join("/proc", p.Name(), "fd"))
		for _, fd := range fds {
			if target, err := os.Readlink(filepath.Join("/proc", p.Name(), "fd", fd.Name())); err == nil && target == "anon_inode:inotify" {
				inUse++
			}
		}
	}
	return limit, inUse, true
}

// procRealUID is the real user ID of process pid, as /proc/PID/status
// says it in this user namespace; empty when unreadable.
func procRealUID(pid string) string {
	f, err := os.Open(filepath.Join("/proc", pid, "status"))
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "Uid:"); ok {
			if fields := strings.Fields(rest); len(fields) > 0 {
				return fields[0]
			}
		}
	}
	return ""
}
