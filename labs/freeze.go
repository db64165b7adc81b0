package labs

import "context"

// Freezer is a lab whose processes can be paused while nobody works on it
// and resumed at once when someone does: a paused lab uses no CPU and
// keeps its memory. A frozen lab answers nothing (its API server and node
// commands wait) until it is thawed. Providers that cannot pause a lab do
// not implement it.
type Freezer interface {
	// Freeze pauses every process of the lab.
	Freeze(ctx context.Context) error
	// Thaw resumes them; a lab that is not frozen is left as it is.
	Thaw(ctx context.Context) error
	// Frozen reports whether the lab's processes are paused.
	Frozen(ctx context.Context) (bool, error)
}

// Thaw resumes lab when it runs frozen (its Freezer says so), as a
// learner's next keystroke or command does. A lab that is stopped or not
// frozen is left as it is, so that a process a learner stopped on purpose
// stays stopped; so is one whose provider cannot freeze.
func Thaw(ctx context.Context, lab Lab) error {
	f, ok := lab.(Freezer)
	if !ok {
		return nil
	}
	st, err := lab.Status(ctx)
	if err != nil || st.State != StateRunning {
		return err
	}
	frozen, err := f.Frozen(ctx)
	if err != nil || !frozen {
		return err
	}
	return f.Thaw(ctx)
}
