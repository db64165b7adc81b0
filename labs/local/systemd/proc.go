package systemd

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/procfs"
)

// nowFunc is the clock status lines are relative to.
var nowFunc = time.Now

// procInfo is what systemctl status shows of the main process, from /proc
// (systemd reads its cgroup; the kubelet's cgroup holds the kubelet alone).
type procInfo struct {
	comm, cmdline string
	threads       int
	rss, peak     int64 // bytes
	cpu           time.Duration
}

func readProc(pid int) procInfo {
	dir := "/proc/" + strconv.Itoa(pid)
	var p procInfo
	if data, err := os.ReadFile(dir + "/comm"); err == nil {
		p.comm = strings.TrimSpace(string(data))
	}
	if data, err := os.ReadFile(dir + "/cmdline"); err == nil {
		p.cmdline = strings.TrimSpace(strings.ReplaceAll(string(data), "\x00", " "))
	}
	if data, err := os.ReadFile(dir + "/status"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			k, v, _ := strings.Cut(line, ":")
			f := strings.Fields(v)
			if len(f) == 0 {
				continue
			}
			n, _ := strconv.ParseInt(f[0], 10, 64)
			switch k {
			case "Threads":
				p.threads = int(n)
			case "VmRSS":
				p.rss = n << 10
			case "VmHWM":
				p.peak = n << 10
			}
		}
	}
	if proc, err := procfs.NewProc(pid); err == nil {
		if st, err := proc.Stat(); err == nil {
			p.cpu = time.Duration(st.CPUTime() * float64(time.Second))
		}
	}
	return p
}

// tasksMax is systemd's default TasksMax: 15% of the kernel's PID limit.
func tasksMax() int {
	limit := 4194304
	for _, f := range []string{"/proc/sys/kernel/pid_max", "/proc/sys/kernel/threads-max"} {
		if data, err := os.ReadFile(f); err == nil {
			if n, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && n < limit {
				limit = n
			}
		}
	}
	return limit * 15 / 100
}

// formatBytes is systemd's format_bytes: "45.2M".
func formatBytes(n int64) string {
	units := []string{"B", "K", "M", "G", "T"}
	f := float64(n)
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%dB", n)
	}
	return fmt.Sprintf("%.1f%s", f, units[i])
}
