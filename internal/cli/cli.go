// Package cli holds what every ckat command shares: the streams it writes
// to, and errors that carry an exit status.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Exit statuses shared by all commands. Grading uses ExitFailed for "less
// than a full score" and ExitCannotRun for "could not run at all". A
// command stopped by Ctrl-C exits ExitInterrupted, as a shell reports a
// process SIGINT ended (128+2).
const (
	ExitOK          = 0
	ExitFailed      = 1
	ExitCannotRun   = 2
	ExitInterrupted = 130
)

// Streams are the standard streams a command reads and writes.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// StdStreams returns the process's own streams.
func StdStreams() Streams {
	return Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}
}

// ExitError is an error that asks for a specific exit status. A nil Err
// means the command already said what it had to say.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// WithExitCode wraps err so that the process exits with code.
func WithExitCode(code int, err error) error {
	return &ExitError{Code: code, Err: err}
}

// ExitCode returns the status an error asks for: its ExitError code, or
// ExitFailed for any other non-nil error.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitFailed
}
