package grader

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"time"
)

// Run runs each spec's check against t, in order, and returns their
// results with Name, Stage, Points, MaxPoints, Elapsed and (when not
// passed) Hint filled in: the check's own hint for the cause it found, else the
// spec's. An invalid spec or a check that panics becomes a StatusError
// result; Run itself never fails.
func Run(ctx context.Context, t Target, stage string, specs []CheckSpec) []Result {
	results := make([]Result, 0, len(specs))
	for _, spec := range specs {
		began := time.Now()
		r := runOne(ctx, t, spec)
		r.Elapsed = time.Since(began)
		r.Name, r.Stage = spec.Name, stage
		r.MaxPoints = spec.Points
		if r.MaxPoints == 0 {
			r.MaxPoints = 1
		}
		r.Points = 0
		// A hint the check gave for the cause it found beats the spec's.
		own := r.Hint
		r.Hint = ""
		if r.Status == StatusPass {
			r.Points = r.MaxPoints
		} else if r.Hint = spec.Hint; own != "" {
			r.Hint = own
		}
		results = append(results, r)
	}
	return results
}

// runOne runs spec's check, turning a panic into a StatusError result.
func runOne(ctx context.Context, t Target, spec CheckSpec) (r Result) {
	if err := spec.Validate(); err != nil {
		return Result{Status: StatusError, Message: "invalid check: " + err.Error()}
	}
	if err := ctx.Err(); err != nil {
		return Result{Status: StatusError, Message: "not run: " + err.Error()}
	}
	run := spec.check()
	defer func() {
		if p := recover(); p != nil {
			stack := strings.SplitN(string(debug.Stack()), "\n", 12)
			where := ""
			if len(stack) > 10 {
				where = " at " + strings.TrimSpace(stack[10])
			}
			r = Result{Status: StatusError, Message: fmt.Sprintf("the check failed unexpectedly: %v%s", p, where)}
		}
	}()
	r = run.Run(ctx, t)
	if r.Status != StatusPass && r.Status != StatusFail && r.Status != StatusError {
		r = Result{Status: StatusError, Message: fmt.Sprintf("the check returned an unknown status %q: %s", r.Status, r.Message)}
	}
	return r
}
