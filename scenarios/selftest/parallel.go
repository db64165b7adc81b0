package selftest

import (
	"context"
	"sort"
	"sync"

	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/scenarios"
)

// DefaultParallel is how many scenarios selftest runs at once by default:
// as many labs as this machine works on at once (labs.Parallel).
func DefaultParallel() int { return labs.Parallel() }

// RunAll selftests scenarios on up to parallel labs at once and returns
// their results in the order given. Scenarios with more cases start first,
// and a scenario's cases after a reset spread over more labs of its own
// as labs are free: a free lab goes to the scenario with the most such
// cases per lab (labSlots). A scenario selftest could not run has the error as a
// failed case named "run".
func RunAll(ctx context.Context, todo []*scenarios.Scenario, parallel int, opts Options) []Result {
	results := make([]Result, len(todo))
	opts.slots = newLabSlots(parallel)
	opts.CaseLabs = max(parallel, 1)
	order := make([]int, len(todo))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return resetCases(todo[order[a]]) > resetCases(todo[order[b]]) })
	var wg sync.WaitGroup
	for _, i := range order {
		sc := todo[i]
		if !opts.slots.acquire(float64(resetCases(sc)), ctx.Done()) {
			results[i] = Result{Scenario: sc.Metadata.Name, Cases: []Case{{Name: "run", Message: ctx.Err().Error()}}}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer opts.slots.release()
			if opts.Logger != nil {
				opts.Logger.V(0).Infof("selftest %s ...", sc.Metadata.Name)
			}
			res, err := Run(ctx, sc, opts)
			if err != nil {
				res.Cases = append(res.Cases, Case{Name: "run", Message: err.Error()})
			}
			results[i] = res
		}()
	}
	wg.Wait()
	return results
}

// resetCases is how many of a scenario's cases start from a reset: its
// alternatives and mistakes.
func resetCases(sc *scenarios.Scenario) int { return len(sc.Alternatives) + len(sc.Mistakes) }
