package selftest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/scenarios"
	"github.com/ckat/ckat/scenarios/session"
)

// labName is the name of a scenario's n-th lab: st-SCENARIO, then
// st-SCENARIO-2 and so on, at most 32 characters.
func labName(sc *scenarios.Scenario, n int) string {
	suffix := ""
	if n > 1 {
		suffix = fmt.Sprintf("-%d", n)
	}
	name := LabPrefix + sc.Metadata.Name
	if len(name)+len(suffix) > 32 {
		name = strings.TrimRight(name[:32-len(suffix)], "-")
	}
	return name + suffix
}

// startLab deletes a leftover lab of the name, then starts the scenario on
// a new one. cleanup deletes the lab unless opts.Keep; it is never nil.
func startLab(ctx context.Context, sc *scenarios.Scenario, name string, opts Options, logger *log.Logger) (*session.Session, func(), error) {
	cleanup := func() {}
	if _, err := labs.ReadRecord(name); err == nil {
		logger.V(0).Infof("Deleting the leftover lab %q ...", name)
		if err := opts.Provider.Delete(ctx, name); err != nil {
			return nil, cleanup, fmt.Errorf("deleting the leftover lab %q: %w", name, err)
		}
	}
	seed := opts.Seed
	s, err := session.Start(ctx, session.StartOptions{Scenario: sc, Provider: opts.Provider, LabName: name, Seed: &seed, Logger: logger})
	if !opts.Keep && s != nil && s.Lab != nil {
		cleanup = func() {
			if err := opts.Provider.Delete(context.WithoutCancel(ctx), name); err != nil {
				logger.Warnf("deleting lab %q: %v", name, err)
			}
		}
	}
	if err != nil {
		return nil, cleanup, fmt.Errorf("starting %s: %w", sc.Metadata.Name, err)
	}
	return s, cleanup, nil
}

// resetCaseRun is a scenario's cases that each start from a reset, under
// way on the scenario's other labs (startResetCases).
type resetCaseRun struct {
	slots   [][]Case
	queue   chan int
	cases   []func(*runner)
	load    *caseLoad
	drained chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
}

// startResetCases starts cases that each start from a reset on up to
// opts.CaseLabs-1 more labs of the scenario, with the same seed (so the
// same parameters), each taking a case from the queue when it is free;
// finish has the scenario's own lab join them. A lab that reset puts back
// to the state right after setup is the same whichever lab it is. Each
// other lab requests a slot at once (labSlots: the scenario's n-th lab
// with the priority of its reset cases divided by n) and, given one, is
// made only when it pays (caseLoad.another). The cases keep their order in
// the result.
func (r *runner) startResetCases(ctx context.Context, sc *scenarios.Scenario, cases []func(*runner)) *resetCaseRun {
	rc := &resetCaseRun{slots: make([][]Case, len(cases)), queue: make(chan int, len(cases)), cases: cases, drained: make(chan struct{})}
	for i := range cases {
		rc.queue <- i
	}
	close(rc.queue)
	rc.load = &caseLoad{queue: rc.queue, labs: 1, setup: defaultLabSetup}
	for n := 2; n <= min(r.opts.CaseLabs, len(cases)); n++ {
		var ticket *slotTicket
		if r.opts.slots != nil {
			ticket = r.opts.slots.request(float64(len(cases)) / float64(n))
		}
		rc.wg.Add(1)
		go func() {
			defer rc.wg.Done()
			if ticket != nil {
				if !ticket.wait(rc.drained) {
					return
				}
				defer r.opts.slots.release()
			}
			if !rc.load.another() {
				return
			}
			defer rc.load.gone()
			s, cleanup, err := startLab(ctx, sc, labName(sc, n), r.opts, r.logger)
			defer cleanup()
			if err != nil {
				r.logger.Warnf("another lab for %s's cases: %v", sc.Metadata.Name, err)
				return
			}
			rc.work(r, s)
		}()
	}
	return rc
}

// work runs queued cases on lab s until the queue is empty.
func (rc *resetCaseRun) work(r *runner, s *session.Session) {
	for i := range rc.queue {
		w := runner{s: s, opts: r.opts, logger: r.logger, res: r.res, record: func(c Case) { rc.slots[i] = append(rc.slots[i], c) }}
		began := time.Now()
		rc.cases[i](&w)
		rc.load.done(time.Since(began))
	}
	rc.once.Do(func() { close(rc.drained) })
}

// finish runs the queued cases on the scenario's own lab too, waits for
// the other labs' cases and adds every case to the result in order.
func (rc *resetCaseRun) finish(r *runner) {
	rc.work(r, r.s)
	rc.wg.Wait()
	for _, c := range rc.slots {
		r.res.Cases = append(r.res.Cases, c...)
	}
}

// abandon takes the queued cases out, so that the other labs stop after
// their current case, and waits for them: the scenario's own lab could
// not start.
func (rc *resetCaseRun) abandon() {
	for range rc.queue {
	}
	rc.once.Do(func() { close(rc.drained) })
	rc.wg.Wait()
}

// defaultLabSetup is how long making and setting up a lab is taken to
// take until the scenario's own lab says (caseLoad.setSetup).
const defaultLabSetup = 20 * time.Second

// caseLoad is what a scenario's reset cases still need, to decide whether
// another lab for them pays.
type caseLoad struct {
	queue chan int
	// setup is how long making and setting up the scenario's first lab
	// took.
	setup time.Duration

	mu sync.Mutex
	// labs are the labs working on the cases, or being made for them.
	labs int
	// finished cases and their total time.
	finished int
	took     time.Duration
}

// minQueued is how many cases must be queued for another lab: one lab
// takes the next one at once.
const minQueued = 2

// queuedPerLab is how many queued cases a lab pays for before any case
// has finished: making a lab costs about as much as a few quick cases.
const queuedPerLab = 3

// another says whether another lab pays, and counts it if so: the cases
// still queued, at the mean time of those finished, would keep the labs
// busy for longer than making and setting up a lab takes. Before any has
// finished, it pays for a queue of at least queuedPerLab cases a lab.
func (l *caseLoad) another() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	queued := len(l.queue)
	if queued < minQueued {
		return false
	}
	pays := queued >= queuedPerLab*l.labs
	if l.finished > 0 {
		mean := l.took / time.Duration(l.finished)
		pays = time.Duration(queued)*mean/time.Duration(l.labs) > l.setup
	}
	if pays {
		l.labs++
	}
	return pays
}

// setSetup records how long making and setting up the scenario's own lab
// took.
func (l *caseLoad) setSetup(d time.Duration) {
	l.mu.Lock()
	l.setup = d
	l.mu.Unlock()
}

// gone counts a lab made for the cases out once it has stopped working.
func (l *caseLoad) gone() {
	l.mu.Lock()
	l.labs--
	l.mu.Unlock()
}

// done counts a finished case.
func (l *caseLoad) done(took time.Duration) {
	l.mu.Lock()
	l.finished++
	l.took += took
	l.mu.Unlock()
}
