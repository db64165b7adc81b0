package web

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"
)

// scrollback is how much of a terminal's output a client that attaches
// (again) is sent first, so a reconnect shows the screen it left.
const scrollback = 64 << 10

// clientQueue is how many output chunks wait for a slow client before it
// is dropped (it reconnects and gets the scrollback).
const clientQueue = 256

// ShellFunc returns the command a lab's terminal runs; the server starts it
// on a pseudo-terminal.
type ShellFunc func(lab string) *exec.Cmd

// SSHShell runs `ckat ssh --lab LAB` with the executable self: the login
// shell on the lab's node that `ckat ssh` gives on a terminal.
func SSHShell(self string) ShellFunc {
	return func(lab string) *exec.Cmd {
		cmd := exec.Command(self, "ssh", "--lab", lab)
		cmd.Env = append(os.Environ(), "TERM=xterm-256color")
		return cmd
	}
}

// terminals keeps one shell per lab. A shell outlives the connections to
// it by a grace period, so a client that lost its network attaches to the
// same shell again.
type terminals struct {
	shell ShellFunc
	grace time.Duration

	mu     sync.Mutex
	byLab  map[string]*terminal
	closed bool
}

func newTerminals(shell ShellFunc, grace time.Duration) *terminals {
	return &terminals{shell: shell, grace: grace, byLab: map[string]*terminal{}}
}

// attach returns a client of lab's shell, starting the shell if none runs.
func (ts *terminals) attach(lab string) (*client, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.closed {
		return nil, errors.New("the server is shutting down")
	}
	if lab == "" {
		return nil, errors.New("no lab named")
	}
	t := ts.byLab[lab]
	if t == nil {
		var err error
		if t, err = ts.start(lab); err != nil {
			return nil, err
		}
		ts.byLab[lab] = t
	}
	return t.attach(), nil
}

// running reports whether a shell runs for lab.
func (ts *terminals) running(lab string) bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.byLab[lab] != nil
}

// closeAll ends every shell; attach fails from then on.
func (ts *terminals) closeAll() {
	ts.mu.Lock()
	ts.closed = true
	all := make([]*terminal, 0, len(ts.byLab))
	for _, t := range ts.byLab {
		all = append(all, t)
	}
	ts.mu.Unlock()
	var wg sync.WaitGroup
	for _, t := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.kill()
		}()
	}
	wg.Wait()
}

func (ts *terminals) start(lab string) (*terminal, error) {
	cmd := ts.shell(lab)
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
	if err != nil {
		return nil, fmt.Errorf("starting a terminal on lab %s: %w", lab, err)
	}
	t := &terminal{
		lab: lab, cmd: cmd, pty: f, grace: ts.grace, cols: 80, rows: 24,
		clients: map[*client]bool{}, done: make(chan struct{}),
	}
	t.idle = time.AfterFunc(ts.grace, t.kill)
	t.idle.Stop()
	go t.pump()
	go func() {
		<-t.done
		ts.mu.Lock()
		if ts.byLab[lab] == t {
			delete(ts.byLab, lab)
		}
		ts.mu.Unlock()
	}()
	return t, nil
}

// terminal is one shell on a pseudo-terminal and the clients attached.
type terminal struct {
	lab   string
	cmd   *exec.Cmd
	pty   *os.File
	grace time.Duration
	idle  *time.Timer
	done  chan struct{}

	mu         sync.Mutex
	clients    map[*client]bool
	buf        []byte
	cols, rows int
}

// frame is what a client is sent: the shell's output, or, when Output is
// nil, the terminal's new size, which a read-only view takes so that the
// screen it is sent is drawn as the learner's is.
type frame struct {
	Output     []byte
	Cols, Rows int
}

// client is one connection's view of a terminal: out carries the
// terminal's size, then its scrollback and output, and is closed when the
// shell ends or the client is dropped.
type client struct {
	t    *terminal
	out  chan frame
	once sync.Once
}

func (t *terminal) attach() *client {
	c := &client{t: t, out: make(chan frame, clientQueue)}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.idle.Stop()
	c.out <- frame{Cols: t.cols, Rows: t.rows}
	if len(t.buf) > 0 {
		c.out <- frame{Output: append([]byte(nil), t.buf...)}
	}
	select {
	case <-t.done:
		close(c.out)
	default:
		t.clients[c] = true
	}
	return c
}

// pump copies the shell's output to the scrollback and every client until
// the shell ends.
func (t *terminal) pump() {
	b := make([]byte, 32<<10)
	for {
		n, err := t.pty.Read(b)
		if n > 0 {
			t.broadcast(append([]byte(nil), b[:n]...))
		}
		if err != nil {
			break
		}
	}
	_ = t.cmd.Wait()
	t.mu.Lock()
	close(t.done)
	for c := range t.clients {
		c.drop()
	}
	t.clients = nil
	t.mu.Unlock()
	t.idle.Stop()
	t.pty.Close()
}

func (t *terminal) broadcast(p []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - scrollback; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.send(frame{Output: p})
}

// send sends f to every client; t.mu is held.
func (t *terminal) send(f frame) {
	for c := range t.clients {
		select {
		case c.out <- f:
		default:
			// Too slow: it reconnects and gets the scrollback.
			delete(t.clients, c)
			c.drop()
		}
	}
}

// kill ends the shell: the pseudo-terminal hangs up, and its process group
// gets SIGHUP, then SIGKILL if it lingers.
func (t *terminal) kill() {
	select {
	case <-t.done:
		return
	default:
	}
	if p := t.cmd.Process; p != nil {
		_ = syscall.Kill(-p.Pid, syscall.SIGHUP)
	}
	select {
	case <-t.done:
	case <-time.After(3 * time.Second):
		if p := t.cmd.Process; p != nil {
			_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
		}
	}
}

func (c *client) drop() { c.once.Do(func() { close(c.out) }) }

// detach ends the client; the shell stays for the grace period when no
// client is left.
func (c *client) detach() {
	t := c.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.clients != nil {
		delete(t.clients, c)
	}
	c.drop()
	if len(t.clients) == 0 {
		t.idle.Reset(t.grace)
	}
}

// write types p into the shell.
func (c *client) write(p []byte) error {
	_, err := c.t.pty.Write(p)
	if errors.Is(err, os.ErrClosed) {
		return io.EOF
	}
	return err
}

// resize sets the terminal's size and tells every client.
func (c *client) resize(cols, rows int) error {
	if cols < 1 || rows < 1 || cols > 1000 || rows > 1000 {
		return fmt.Errorf("bad terminal size %dx%d", cols, rows)
	}
	t := c.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if cols == t.cols && rows == t.rows {
		return nil
	}
	if err := pty.Setsize(t.pty, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)}); err != nil {
		return fmt.Errorf("resizing the terminal of lab %s: %w", t.lab, err)
	}
	t.cols, t.rows = cols, rows
	t.send(frame{Cols: cols, Rows: rows})
	return nil
}
