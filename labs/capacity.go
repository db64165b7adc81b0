package labs

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// WorkingMemory is what one lab needs at most while it is being created,
// set up and graded: its processes together (about 450 MB VmRSS, see
// README's figures) and room for the grader and the etcd tools.
const WorkingMemory = 1 << 30

// IdleMemory is what one running lab holds while its learner works: its
// processes together, 350 MB Pss and 451 MB VmRSS by README's figures,
// rounded up. It decides how many labs a machine holds at once.
const IdleMemory = 512 << 20

// Parallel is how many labs may be worked on at once on this machine
// (selftest's labs): a lab mostly waits (for processes to stop and start,
// for /readyz, for a check to settle), so four per core, as many as the
// available memory holds at WorkingMemory each, at least one. Measured
// with `ckat selftest` of the 8 built-in scenarios on 2 cores: 4m44s with
// 4 labs at once, the machine 54% busy; 3m32s with 8, 92% busy.
func Parallel() int { return byMemory(4 * runtime.NumCPU()) }

// CreateParallel is how many labs are best made at once, one per core
// (as many as the available memory holds, at least one): making a lab is
// CPU-bound, most of it kube-apiserver's start. Measured making 30 labs
// on 2 cores: 80–87 s two at once, 83 s three at once, 92 s four at once
// (more CPU time each, lost to contention). A few labs gain from more at
// once (8 labs: 2.5 s a lab four at once, 3.0 s two at once, 4.2 s one at
// a time), a class does not.
func CreateParallel() int { return byMemory(runtime.NumCPU()) }

// byMemory bounds n by the labs the available memory holds at
// WorkingMemory each; it is at least one.
func byMemory(n int) int {
	if avail := MemAvailable(); avail > 0 {
		n = min(n, int(avail/WorkingMemory))
	}
	return max(n, 1)
}

// MemAvailable reads MemAvailable from /proc/meminfo, in bytes; 0 when
// it cannot.
func MemAvailable() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemAvailable:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
