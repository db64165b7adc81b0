package node

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestExecTTY runs a command with TTY set from a process whose terminal is
// a pseudo-terminal, as ckat ssh does: the command on the node has that
// terminal as its stdin and stdout, and the node's prompt settings.
func TestExecTTY(t *testing.T) {
	n := startNode(t, t.TempDir(), "172.30.14.10")
	master, slave := openPTY(t)
	defer master.Close()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "__ttyexec", strconv.Itoa(n.pid), "sh", "-c",
		`[ -t 0 ] && [ -t 1 ] && echo "terminal $(tty) prompt=$PS1 term=$TERM"; exit 4`)
	cmd.Env = []string{"TERM=xterm-ckat"}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	var out bytes.Buffer
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(&out, master) // ends with EIO once the terminal closes
		close(done)
	}()
	err = cmd.Wait()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 4 {
		t.Errorf("exit: %v, want status 4", err)
	}
	want := "terminal /dev/pts/"
	got := strings.ReplaceAll(out.String(), "\r", "")
	if !strings.Contains(got, want) || !strings.Contains(got, `prompt=\u@\h:\w\$  term=xterm-ckat`) {
		t.Errorf("the command saw %q, want a terminal %s..., the node's PS1 and TERM", got, want)
	}
}

// openPTY opens a pseudo-terminal pair.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	num, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", num), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}
