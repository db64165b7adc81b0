package grader

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/ckat/ckat/internal/staticpod"
)

// wontRun is why a static pod will not run: its manifest is gone or
// broken, so no kubelet starts it however long the grader waits.
type wontRun struct {
	// Reason completes "nothing will start it: ...".
	Reason string
	// Evidence is the manifest's row.
	Evidence Evidence
}

// staticPodWontRun looks at the static pod manifest at path on the node
// (or another file of its directory defining its pod: findStaticPod) and
// says why its pod will not run: no file defines it, or it does not
// parse as a Pod (the kubelet logs the error and runs nothing). It returns
// nil when the pod may run, and when the node could not be looked at: a
// check that polls then goes on polling.
func staticPodWontRun(ctx context.Context, t Target, path string) *wontRun {
	if t.Node == nil {
		return nil
	}
	_, _, err := findStaticPod(ctx, t.Node, path)
	var me *staticpod.Error
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &wontRun{
			Reason:   fmt.Sprintf("its static pod manifest %s is not on the node", path),
			Evidence: Evidence{Source: nodeSource(t, path), Field: "file", Want: "present", Got: "missing"},
		}
	case errors.As(err, &me):
		return &wontRun{
			Reason:   fmt.Sprintf("its static pod manifest does not parse as a Pod: %v", me),
			Evidence: Evidence{Source: nodeSource(t, path), Field: "manifest", Want: "a valid Pod manifest", Got: me.Msg},
		}
	}
	return nil
}
