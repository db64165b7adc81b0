package web

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ckat/ckat/classes"
)

func typeIn(t *testing.T, conn *websocket.Conn, s string) {
	t.Helper()
	if err := conn.Write(context.Background(), websocket.MessageBinary, []byte(s)); err != nil {
		t.Fatal(err)
	}
}

// TestTerminal: what the learner types runs in a shell on a terminal,
// whose size follows the page's.
func TestTerminal(t *testing.T) {
	f := newFixture(t)
	ana, _ := f.client(t, classes.LearnerPath(f.tokens["ana"]))
	conn := f.terminal(t, ana, learnerRoot+"api/terminal")
	if err := conn.Write(context.Background(), websocket.MessageText, []byte(`{"type":"resize","cols":101,"rows":33}`)); err != nil {
		t.Fatal(err)
	}
	typeIn(t, conn, "[ -t 0 ] && echo tty-$((6*7)); stty size\n")
	readUntil(t, conn, "tty-42")
	readUntil(t, conn, "33 101")
}

// TestTerminalReconnect: a page that lost its connection gets the same
// shell back, with what the screen showed.
func TestTerminalReconnect(t *testing.T) {
	f := newFixture(t)
	ana, _ := f.client(t, classes.LearnerPath(f.tokens["ana"]))
	conn := f.terminal(t, ana, learnerRoot+"api/terminal")
	typeIn(t, conn, "echo pid=$$.\n")
	re := regexp.MustCompile(`pid=(\d+)\.`)
	var pid []string
	for pid == nil {
		pid = re.FindStringSubmatch(readUntil(t, conn, "pid="))
	}
	conn.CloseNow() // a network blip

	conn = f.terminal(t, ana, learnerRoot+"api/terminal")
	readUntil(t, conn, pid[0]) // the scrollback
	typeIn(t, conn, "echo again=$$.\n")
	readUntil(t, conn, fmt.Sprintf("again=%s.", pid[1]))
}

// TestTerminalReadOnly: the instructor sees a learner's terminal, and
// what the instructor types does not reach it.
func TestTerminalReadOnly(t *testing.T) {
	f := newFixture(t)
	ana, _ := f.client(t, classes.LearnerPath(f.tokens["ana"]))
	teacher, _ := f.client(t, classes.InstructorPath(f.instructor))
	learner := f.terminal(t, ana, learnerRoot+"api/terminal")
	view := f.terminal(t, teacher, instructorRoot+"api/terminal?learner=ana")
	typeIn(t, view, "echo from-instructor\n")
	typeIn(t, learner, "echo from-$((1+1))-learner\n")
	out := readUntil(t, view, "from-2-learner")
	if regexp.MustCompile(`from-instructor`).MatchString(out) {
		t.Errorf("the instructor's keystrokes reached the shell: %q", out)
	}
	if code, _ := get(t, teacher, "GET", f.srv.URL+instructorRoot+"api/terminal?learner=nobody", nil); code != http.StatusNotFound {
		t.Errorf("a learner the class does not have: %d, want 404", code)
	}
}

// TestTerminalGrace: a shell nobody is attached to ends after the grace
// period.
func TestTerminalGrace(t *testing.T) {
	ts := newTerminals(hostShell, 200*time.Millisecond)
	defer ts.closeAll()
	c, err := ts.attach("lab")
	if err != nil {
		t.Fatal(err)
	}
	c.detach()
	deadline := time.Now().Add(5 * time.Second)
	for ts.running("lab") {
		if time.Now().After(deadline) {
			t.Fatal("the shell still runs 5 s after its last client left, with a grace of 200 ms")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestTerminalViewSize: the instructor's read-only view is told the
// learner's terminal size when it opens and whenever it changes, so it
// draws the learner's screen as the learner sees it.
func TestTerminalViewSize(t *testing.T) {
	f := newFixture(t)
	ana, _ := f.client(t, classes.LearnerPath(f.tokens["ana"]))
	teacher, _ := f.client(t, classes.InstructorPath(f.instructor))
	learner := f.terminal(t, ana, learnerRoot+"api/terminal")
	resize := func(cols, rows int) {
		msg := fmt.Sprintf(`{"type":"resize","cols":%d,"rows":%d}`, cols, rows)
		if err := learner.Write(context.Background(), websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	resize(101, 33)
	typeIn(t, learner, "stty size\n")
	readUntil(t, learner, "33 101")
	view := f.terminal(t, teacher, instructorRoot+"api/terminal?learner=ana")
	if got := nextText(t, view); got != `{"type":"size","cols":101,"rows":33}` {
		t.Errorf("the view's first message: %s, want the terminal's size 101x33", got)
	}
	resize(90, 30)
	if got := nextText(t, view); got != `{"type":"size","cols":90,"rows":30}` {
		t.Errorf("after the learner's resize, the view was sent %s, want the size 90x30", got)
	}
}

// nextText returns the next text message, skipping output.
func nextText(t *testing.T, conn *websocket.Conn) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		typ, p, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("waiting for a text message: %v", err)
		}
		if typ == websocket.MessageText {
			return string(p)
		}
	}
}
