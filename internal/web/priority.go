package web

import (
	"os"
	"strconv"
	"strings"
)

// ServerAutogroupNice is the nice value ckat serve gives its own
// scheduler autogroup (Linux's CONFIG_SCHED_AUTOGROUP: the CPU is shared
// between sessions first, then between a session's processes).
//
// Each container of a lab is a session of its own, as under a container
// runtime, so a class of 30 labs that all thaw and grade at once is over
// a hundred busy groups against the server's one: at an equal weight the
// server gets a hundredth of the CPU, and the grid, the grades' answers
// and the terminals lag by seconds. At nice -10 its weight is about nine
// groups'. It takes that share only while it works (a grade, a grid, a
// keystroke), and the labs' own processes, and the learners' shells (each
// pseudo-terminal starts a session of its own), keep nice 0: `ps` and `top`
// on a node show what they show on a real one.
const ServerAutogroupNice = -10

// autogroupFile is where a process reads and sets its session's
// autogroup nice value (sched(7)).
const autogroupFile = "/proc/self/autogroup"

// RaisePriority gives this process's autogroup ServerAutogroupNice, and
// says what it did. It changes nothing, and says why, when the kernel has
// no autogroups or the process may not raise its priority (it needs
// CAP_SYS_NICE, which root has).
func RaisePriority() (string, error) {
	data, err := os.ReadFile(autogroupFile)
	if err != nil {
		return "", err // no CONFIG_SCHED_AUTOGROUP
	}
	// "/autogroup-123 nice 0"
	if f := strings.Fields(string(data)); len(f) == 3 && f[2] == strconv.Itoa(ServerAutogroupNice) {
		return "the server's autogroup has nice " + f[2] + " already", nil
	}
	if err := os.WriteFile(autogroupFile, []byte(strconv.Itoa(ServerAutogroupNice)), 0); err != nil {
		return "", err
	}
	return "the server's autogroup has nice " + strconv.Itoa(ServerAutogroupNice) + ": it keeps answering while the labs keep the CPU busy", nil
}
