package grader

import (
	"context"
	"errors"
	"fmt"
	"path"
	"runtime/debug"
	"strings"
)

// checker is what every typed check implements.
type checker interface {
	Run(ctx context.Context, t Target) Result
}

// Run runs each spec's check against t, in order, and returns their
// results with Name, Stage, Points, MaxPoints and (when not passed) Hint
// filled in: the check's own hint for the cause it found, else the
// spec's. An invalid spec or a check that panics becomes a StatusError
// result; Run itself never fails.
func Run(ctx context.Context, t Target, stage string, specs []CheckSpec) []Result {
	results := make([]Result, 0, len(specs))
	for _, spec := range specs {
		r := runOne(ctx, t, spec)
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
	_, c := spec.check()
	run, ok := c.(checker)
	if !ok {
		return Result{Status: StatusError, Message: fmt.Sprintf("this grader cannot run %T checks", c)}
	}
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

// check returns the name of the one typed check set and the check itself;
// "" and nil when none is set (Validate reports more than one).
func (s CheckSpec) check() (string, any) {
	set := s.setChecks()
	if len(set) == 0 {
		return "", nil
	}
	return set[0].name, set[0].check
}

type namedCheck struct {
	name  string
	check any
}

func (s CheckSpec) setChecks() []namedCheck {
	all := []namedCheck{
		{"snapshotFile", s.SnapshotFile},
		{"snapshotContents", s.SnapshotContents},
		{"restoredDataDir", s.RestoredDataDir},
		{"etcdDataVolume", s.EtcdDataVolume},
		{"manifestPresent", s.ManifestPresent},
		{"manifestArg", s.ManifestArg},
		{"etcdServing", s.EtcdServing},
		{"apiServerReady", s.APIServerReady},
		{"objects", s.Objects},
	}
	var set []namedCheck
	for _, c := range all {
		if !isNilPointer(c.check) {
			set = append(set, c)
		}
	}
	return set
}

func isNilPointer(v any) bool {
	switch c := v.(type) {
	case *SnapshotFileCheck:
		return c == nil
	case *SnapshotContentsCheck:
		return c == nil
	case *RestoredDataDirCheck:
		return c == nil
	case *EtcdDataVolumeCheck:
		return c == nil
	case *ManifestPresentCheck:
		return c == nil
	case *ManifestArgCheck:
		return c == nil
	case *EtcdServingCheck:
		return c == nil
	case *APIServerReadyCheck:
		return c == nil
	case *ObjectsCheck:
		return c == nil
	}
	return v == nil
}

// ValidateChecks validates every spec and that names are unique, with
// messages like "checks[2] (restore-dir): restoredDataDir.path is required".
func ValidateChecks(specs []CheckSpec) error {
	var errs []error
	names := map[string]int{}
	for i, s := range specs {
		if err := s.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("checks[%d] (%s): %w", i, s.Name, err))
		}
		if j, dup := names[s.Name]; dup && s.Name != "" {
			errs = append(errs, fmt.Errorf("checks[%d] (%s): the name is already used by checks[%d]", i, s.Name, j))
		} else {
			names[s.Name] = i
		}
	}
	return errors.Join(errs...)
}

// Validate checks that exactly one typed check is set and that its required
// fields are present; the message names the field ("restoredDataDir.path is
// required").
func (s CheckSpec) Validate() error {
	if strings.TrimSpace(s.Name) == "" {
		return errors.New("name is required")
	}
	if s.Points < 0 {
		return fmt.Errorf("points is %d; it must be 0 (meaning 1) or more", s.Points)
	}
	set := s.setChecks()
	switch len(set) {
	case 0:
		return errors.New("no check set: give exactly one of snapshotFile, snapshotContents, restoredDataDir, etcdDataVolume, manifestPresent, manifestArg, etcdServing, apiServerReady, objects")
	case 1:
	default:
		names := make([]string, len(set))
		for i, c := range set {
			names[i] = c.name
		}
		return fmt.Errorf("%s are all set; a check has exactly one", strings.Join(names, " and "))
	}
	name := set[0].name
	var errs []error
	nodePath := func(field, p string, required bool) {
		switch {
		case p == "" && required:
			errs = append(errs, fmt.Errorf("%s.%s is required", name, field))
		case p != "" && !path.IsAbs(p):
			errs = append(errs, fmt.Errorf("%s.%s is %q; it must be an absolute path on the node", name, field, p))
		}
	}
	switch c := set[0].check.(type) {
	case *SnapshotFileCheck:
		nodePath("path", c.Path, true)
	case *SnapshotContentsCheck:
		nodePath("path", c.Path, true)
		errs = append(errs, validateRefs(name, c.Present, c.Absent)...)
	case *RestoredDataDirCheck:
		nodePath("path", c.Path, true)
		nodePath("snapshot", c.Snapshot, true)
		nodePath("original", c.Original, false)
	case *EtcdDataVolumeCheck:
		nodePath("manifest", c.Manifest, false)
		nodePath("dataDir", c.DataDir, true)
	case *ManifestPresentCheck:
		nodePath("path", c.Path, true)
	case *ManifestArgCheck:
		nodePath("path", c.Path, true)
		if strings.Trim(c.Flag, "-") == "" {
			errs = append(errs, fmt.Errorf("%s.flag is required", name))
		}
		if c.Want == "" {
			errs = append(errs, fmt.Errorf("%s.want is required", name))
		}
	case *EtcdServingCheck:
		nodePath("dataDir", c.DataDir, false)
	case *APIServerReadyCheck:
		nodePath("manifest", c.Manifest, false)
		if c.Timeout.Duration < 0 {
			errs = append(errs, fmt.Errorf("%s.timeout is %s; it must not be negative", name, c.Timeout))
		}
	case *ObjectsCheck:
		errs = append(errs, validateRefs(name, c.Present, c.Absent)...)
	}
	return joinErrors(errs)
}

// joinErrors joins errors on one line.
func joinErrors(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
	}
	return errors.New(strings.Join(msgs, "; "))
}
