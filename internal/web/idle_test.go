package web

import (
	"context"
	"testing"
	"time"

	"github.com/ckat/ckat/classes"
	"github.com/ckat/ckat/labs"
)

// TestIdleLabs: activity is recorded per lab; a lab counts as idle from
// the server's start until its learner's first action, which may find it
// frozen; one that saw activity after it was found idle is not recorded
// as frozen.
func TestIdleLabs(t *testing.T) {
	start := time.Now()
	i := newIdleLabs(start)
	if got := i.idleFor("a", start.Add(time.Minute)); got != time.Minute {
		t.Errorf("idle for %s before any activity, want 1m from the server's start", got)
	}
	if !i.touch("a", start.Add(time.Minute)) {
		t.Error("the first activity on a lab does not report that it may be frozen (class create leaves labs frozen)")
	}
	if i.touch("a", start.Add(time.Minute)) {
		t.Error("touch of a lab the server saw and never froze reports it frozen")
	}
	if got := i.idleFor("a", start.Add(3*time.Minute)); got != 2*time.Minute {
		t.Errorf("idle for %s, want 2m since the last activity", got)
	}
	if i.markFrozen("a", start) {
		t.Error("a lab active after it was found idle was recorded as frozen")
	}
	if !i.markFrozen("a", start.Add(2*time.Minute)) || !i.touch("a", start.Add(4*time.Minute)) {
		t.Error("a frozen lab's next activity does not report it frozen")
	}
	if i.touch("a", start.Add(5*time.Minute)) {
		t.Error("a lab thawed by its learner's activity is still reported frozen")
	}
}

// TestFreezeIdleLab: a learner who stops typing has their lab frozen (its
// processes paused, the grid says so), and their next keystroke thaws it:
// the command they type runs and answers.
func TestFreezeIdleLab(t *testing.T) {
	if testing.Short() {
		t.Skip("creates a lab; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	lc := newLiveClass(t, ctx, "idle", "etcd-backup-restore", Options{FreezeAfter: time.Second}, "ana")
	f := &fixture{srv: lc.srv}
	learner, _ := f.client(t, classes.LearnerPath(lc.tokens["ana"]))
	conn := f.terminal(t, learner, learnerRoot+"api/terminal")
	typeIn(t, conn, "echo before-$((6*7))\n")
	readUntil(t, conn, "before-42")

	class := lc.class
	lab, err := class.Lab(ctx, "ana")
	if err != nil {
		t.Fatal(err)
	}
	frozen := func() bool {
		ok, err := lab.(labs.Freezer).Frozen(ctx)
		return err == nil && ok
	}
	deadline := time.Now().Add(15 * time.Second)
	for !frozen() && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if !frozen() {
		t.Fatal("the lab was not frozen 15 s after its learner's last keystroke, with --freeze-after 1s")
	}
	st, err := class.Status(ctx)
	if err != nil || len(st) != 1 || !st[0].Frozen {
		t.Errorf("the grid's status %+v, %v; want the learner's lab shown frozen", st, err)
	}
	began := time.Now()
	typeIn(t, conn, "echo after-$((6*7))\n")
	readUntil(t, conn, "after-42")
	if took := time.Since(began); took > 2*time.Second {
		t.Errorf("the shell answered %s after the keystroke that thawed it, want well under a second", took)
	}
	if frozen() {
		t.Error("the lab is still frozen after its learner typed")
	}
}
