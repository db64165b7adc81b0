package selftest

import (
	"context"
	"fmt"
	"strings"
	"sync"

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

// resetCases runs cases that each start from a reset, on the scenario's
// lab and on up to opts.CaseLabs-1 more labs of the same scenario and seed
// (so the same parameters), each taking a case from the queue when it is
// free. A lab that reset puts back to the state right after setup is the
// same whichever lab it is. The cases keep their order in the result.
func (r *runner) resetCases(ctx context.Context, sc *scenarios.Scenario, cases []func(*runner)) {
	slots := make([][]Case, len(cases))
	queue := make(chan int, len(cases))
	for i := range cases {
		queue <- i
	}
	close(queue)
	drained := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	work := func(s *session.Session) {
		defer wg.Done()
		for i := range queue {
			w := runner{s: s, opts: r.opts, logger: r.logger, res: r.res, record: func(c Case) { slots[i] = append(slots[i], c) }}
			cases[i](&w)
		}
		once.Do(func() { close(drained) })
	}
	for n := 2; n <= min(r.opts.CaseLabs, len(cases)); n++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r.opts.slots != nil {
				select {
				case r.opts.slots <- struct{}{}:
					defer func() { <-r.opts.slots }()
				case <-drained:
					return
				}
			}
			select {
			case <-drained:
				return
			default:
			}
			s, cleanup, err := startLab(ctx, sc, labName(sc, n), r.opts, r.logger)
			defer cleanup()
			if err != nil {
				r.logger.Warnf("another lab for %s's cases: %v", sc.Metadata.Name, err)
				return
			}
			wg.Add(1)
			work(s)
		}()
	}
	wg.Add(1)
	work(r.s)
	wg.Wait()
	for _, c := range slots {
		r.res.Cases = append(r.res.Cases, c...)
	}
}
