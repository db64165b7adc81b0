// Package log is ckat's levelled logger: Warn and Error always print,
// V(n).Info prints when the verbosity is at least n. Commands get their
// Logger from the root command (--verbosity / -v).
package log

import (
	"fmt"
	"io"
	"sync"
)

// Level is a verbosity level; 0 is the default.
type Level int

// Logger writes leveled messages to a stream.
type Logger struct {
	mu        *sync.Mutex
	w         io.Writer
	verbosity Level
}

// New returns a Logger writing to w at the given verbosity.
func New(w io.Writer, verbosity Level) *Logger {
	return &Logger{mu: &sync.Mutex{}, w: w, verbosity: verbosity}
}

// NoOp returns a Logger that discards everything.
func NoOp() *Logger { return New(io.Discard, -1) }

// Verbosity is the logger's level.
func (l *Logger) Verbosity() Level { return l.verbosity }

// Warnf prints a warning.
func (l *Logger) Warnf(format string, args ...any) { l.printf("WARNING: "+format, args...) }

// Errorf prints an error.
func (l *Logger) Errorf(format string, args ...any) { l.printf("ERROR: "+format, args...) }

// V returns an InfoLogger that prints only when verbosity >= level.
func (l *Logger) V(level Level) InfoLogger {
	return InfoLogger{l: l, enabled: level <= l.verbosity}
}

func (l *Logger) printf(format string, args ...any) {
	if l == nil || l.w == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	msg := fmt.Sprintf(format, args...)
	if len(msg) == 0 || msg[len(msg)-1] != '\n' {
		msg += "\n"
	}
	_, _ = io.WriteString(l.w, msg)
}

// InfoLogger prints informational messages at one level.
type InfoLogger struct {
	l       *Logger
	enabled bool
}

// Enabled reports whether messages at this level print.
func (i InfoLogger) Enabled() bool { return i.enabled }

// Infof prints when the level is enabled.
func (i InfoLogger) Infof(format string, args ...any) {
	if i.enabled {
		i.l.printf(format, args...)
	}
}

// Info prints when the level is enabled.
func (i InfoLogger) Info(msg string) { i.Infof("%s", msg) }
