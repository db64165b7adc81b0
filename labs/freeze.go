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
