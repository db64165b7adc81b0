package web

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ckat/ckat/classes"
	"github.com/ckat/ckat/labs"
)

// idleLabs keeps when each learner last did something through the server
// (opened a page, graded, typed a key), and which labs the server froze
// for being idle.
type idleLabs struct {
	mu     sync.Mutex
	since  time.Time // the server's start: the last activity of a lab not yet seen
	last   map[string]time.Time
	frozen map[string]bool
}

func newIdleLabs(now time.Time) *idleLabs {
	return &idleLabs{since: now, last: map[string]time.Time{}, frozen: map[string]bool{}}
}

// touch records activity on lab at now, and reports whether the lab may
// be frozen: the server froze it, or this is the first activity the
// server sees on it (`ckat class create` leaves each lab frozen until its
// learner comes, and a lab may have been frozen before the server
// started). The caller thaws it before acting.
func (i *idleLabs) touch(lab string, now time.Time) (mayBeFrozen bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	_, seen := i.last[lab]
	i.last[lab] = now
	mayBeFrozen = i.frozen[lab] || !seen
	delete(i.frozen, lab)
	return mayBeFrozen
}

// idleFor is how long lab has had no activity at now.
func (i *idleLabs) idleFor(lab string, now time.Time) time.Duration {
	i.mu.Lock()
	defer i.mu.Unlock()
	last, ok := i.last[lab]
	if !ok {
		last = i.since
	}
	return now.Sub(last)
}

// markFrozen records that the server froze lab, unless it saw activity
// after idleSince; it reports whether it recorded it.
func (i *idleLabs) markFrozen(lab string, idleSince time.Time) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	if last, ok := i.last[lab]; ok && last.After(idleSince) {
		return false
	}
	i.frozen[lab] = true
	return true
}

// activity records that learner l acted on their lab, and thaws the lab
// when the server froze it (a keystroke in the terminal, a button): the
// lab answers again within a fraction of a second.
func (s *Server) activity(ctx context.Context, class *classes.Class, l classes.Learner) {
	if !s.idle.touch(l.Lab, time.Now()) {
		return
	}
	if err := class.Thaw(ctx, l.Name); err != nil {
		s.opts.Logger.Errorf("thawing lab %s: %v", l.Lab, err)
	}
}

// freezeIdleLabs freezes, every interval until ctx ends, the running labs
// whose learners did nothing through the server for opts.FreezeAfter: a
// frozen lab uses no CPU, so a class that reads or thinks leaves the
// machine to those who type.
func (s *Server) freezeIdleLabs(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			s.freezeIdleOnce(ctx)
		}
	}
}

// freezeIdleOnce freezes the labs idle for opts.FreezeAfter now.
func (s *Server) freezeIdleOnce(ctx context.Context) {
	all, err := s.opts.Store.List()
	if err != nil {
		s.opts.Logger.Errorf("freezing idle labs: %v", err)
		return
	}
	for _, class := range all {
		for _, l := range class.Learners {
			if ctx.Err() != nil {
				return
			}
			if err := s.freezeIfIdle(ctx, class, l); err != nil {
				s.opts.Logger.V(1).Infof("lab %s stays as it is: %v", l.Lab, err)
			}
		}
	}
}

// errNotIdle is a lab that is in use, stopped or frozen already.
var errNotIdle = errors.New("not an idle running lab")

// freezeIfIdle freezes l's lab when it has been idle for opts.FreezeAfter,
// runs, and is not frozen. It waits for an action in progress on the lab
// (a grade, a reset) to end first.
func (s *Server) freezeIfIdle(ctx context.Context, class *classes.Class, l classes.Learner) error {
	now := time.Now()
	idle := s.idle.idleFor(l.Lab, now)
	if idle < s.opts.FreezeAfter {
		return errNotIdle
	}
	unlock := s.lockLab(l.Lab)
	defer unlock()
	lab, err := class.Lab(ctx, l.Name)
	if err != nil {
		return err
	}
	f, ok := lab.(labs.Freezer)
	if !ok {
		return classes.ErrCannotFreeze
	}
	st, err := lab.Status(ctx)
	if err != nil || st.State != labs.StateRunning {
		return errNotIdle
	}
	if frozen, err := f.Frozen(ctx); err != nil || frozen {
		return errNotIdle
	}
	if err := f.Freeze(ctx); err != nil {
		return err
	}
	// The learner may have acted while it froze: before markFrozen, it
	// thaws here; after, the learner's activity thaws it.
	if !s.idle.markFrozen(l.Lab, now.Add(-idle)) {
		return errors.Join(errNotIdle, f.Thaw(ctx))
	}
	s.opts.Logger.V(1).Infof("froze lab %s, idle for %s", l.Lab, idle.Round(time.Second))
	return nil
}
