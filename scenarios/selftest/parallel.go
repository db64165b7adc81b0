package selftest

import (
	"bufio"
	"context"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/ckat/ckat/scenarios"
)

// labMemory is what one lab needs at most while selftest runs it: its
// processes together (about 450 MB VmRSS, see README's figures) and room
// for the grader and the etcd tools.
const labMemory = 1 << 30

// DefaultParallel is how many scenarios selftest runs at once by default:
// a lab mostly waits (for processes to stop and start, for /readyz), so
// two per core, as many as the available memory holds, at least one.
func DefaultParallel() int {
	n := 2 * runtime.NumCPU()
	if avail := memAvailable(); avail > 0 {
		n = min(n, int(avail/labMemory))
	}
	return max(n, 1)
}

// memAvailable reads MemAvailable from /proc/meminfo, in bytes; 0 when
// it cannot.
func memAvailable() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemAvailable:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// RunAll selftests scenarios on up to parallel labs at once and returns
// their results in the order given. Scenarios with more cases start first,
// and a scenario's cases after a reset spread over more labs of its own
// as labs are free. A scenario selftest could not run has the error as a
// failed case named "run".
func RunAll(ctx context.Context, todo []*scenarios.Scenario, parallel int, opts Options) []Result {
	results := make([]Result, len(todo))
	opts.slots = make(chan struct{}, max(parallel, 1))
	opts.CaseLabs = max(parallel, 1)
	order := make([]int, len(todo))
	for i := range order {
		order[i] = i
	}
	resetCases := func(sc *scenarios.Scenario) int { return len(sc.Alternatives) + len(sc.Mistakes) }
	sort.SliceStable(order, func(a, b int) bool { return resetCases(todo[order[a]]) > resetCases(todo[order[b]]) })
	var wg sync.WaitGroup
	for _, i := range order {
		sc := todo[i]
		select {
		case opts.slots <- struct{}{}:
		case <-ctx.Done():
			results[i] = Result{Scenario: sc.Metadata.Name, Cases: []Case{{Name: "run", Message: ctx.Err().Error()}}}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-opts.slots }()
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
