package labs

import "errors"

// Remedy names what fixes a lab's problem without spelling a command: the
// command layer says how (the CLI's verbs are its own).
type Remedy string

// Remedies.
const (
	// RemedyList is looking at the labs there are.
	RemedyList Remedy = "list"
	// RemedyCreate is creating a lab, when there is none.
	RemedyCreate Remedy = "create"
	// RemedyStart is starting the lab again; its data is kept.
	RemedyStart Remedy = "start"
	// RemedyDelete is deleting the lab.
	RemedyDelete Remedy = "delete"
	// RemedyDoctor is checking what the provider needs on this machine.
	RemedyDoctor Remedy = "doctor"
	// RemedyScenario is starting a scenario on the lab.
	RemedyScenario Remedy = "scenario"
)

// RemedyError is a problem with a lab and what fixes it. Its message is
// Err's; the command layer adds how to apply the remedy.
type RemedyError struct {
	Err    error
	Remedy Remedy
	// Lab is the lab the remedy acts on; empty when there is none.
	Lab string
	// Provider is the provider the remedy acts on (RemedyDoctor).
	Provider string
}

func (e *RemedyError) Error() string { return e.Err.Error() }

// Unwrap returns Err.
func (e *RemedyError) Unwrap() error { return e.Err }

// WithRemedy returns err with the remedy r for the lab called lab (nil
// when err is nil).
func WithRemedy(err error, r Remedy, lab string) error {
	if err == nil {
		return nil
	}
	return &RemedyError{Err: err, Remedy: r, Lab: lab}
}

// RemedyOf returns the remedy err carries, if any.
func RemedyOf(err error) (*RemedyError, bool) {
	var re *RemedyError
	ok := errors.As(err, &re)
	return re, ok
}
