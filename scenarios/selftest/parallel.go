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
// their results in the order given. A scenario's cases after a reset
// spread over more labs of its own, and a free lab goes to the scenario
// with the most such cases per lab (labSlots): the first labs of the
// biggest scenarios, then their second labs and the first ones of smaller
// scenarios, and so on. A scenario selftest could not run has the error
// as a failed case named "run".
func RunAll(ctx context.Context, todo []*scenarios.Scenario, parallel int, opts Options) []Result {
	results := make([]Result, len(todo))
	opts.slots = newLabSlots(parallel)
	opts.CaseLabs = max(parallel, 1)
	order := make([]int, len(todo))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return resetCases(todo[order[a]]) > resetCases(todo[order[b]]) })
	// Every scenario requests its labs before the first slot is given, so
	// that they go by priority from the start.
	opts.slots.hold()
	var wg, requested sync.WaitGroup
	for _, i := range order {
		sc := todo[i]
		wg.Add(1)
		requested.Add(1)
		go func() {
			defer wg.Done()
			if opts.Logger != nil {
				opts.Logger.V(0).Infof("selftest %s ...", sc.Metadata.Name)
			}
			res, err := run(ctx, sc, opts, requested.Done)
			if err != nil {
				res.Cases = append(res.Cases, Case{Name: "run", Message: err.Error()})
			}
			results[i] = res
		}()
	}
	requested.Wait()
	opts.slots.open()
	wg.Wait()
	return results
}

// resetCases is how many of a scenario's cases start from a reset: its
// alternatives and mistakes.
func resetCases(sc *scenarios.Scenario) int { return len(sc.Alternatives) + len(sc.Mistakes) }
