// Package log is ckat's levelled logger: Warn and Error always print,
// V(n).Info prints when the verbosity is at least n. Commands get their
// Logger from the root command (--verbosity / -v).
package log

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"
)

// Level is a verbosity level; 0 is the default.
type Level int

// Logger writes leveled messages to a stream.
type Logger struct {
	mu        *sync.Mutex
	w         io.Writer
	verbosity Level
	klog      bool // klog's header on each line
}

// New returns a Logger writing to w at the given verbosity.
func New(w io.Writer, verbosity Level) *Logger {
	return &Logger{mu: &sync.Mutex{}, w: w, verbosity: verbosity}
}

// NewKlog returns a Logger writing to w at the given verbosity in klog's
// text format, as Kubernetes components write to stderr: each message on
// a line `Lmmdd hh:mm:ss.uuuuuu PID file:line] message`, L being I, W or
// E (k8s.io/klog/v2, formatHeader).
func NewKlog(w io.Writer, verbosity Level) *Logger {
	l := New(w, verbosity)
	l.klog = true
	return l
}

// NoOp returns a Logger that discards everything.
func NoOp() *Logger { return New(io.Discard, -1) }

// Verbosity is the logger's level.
func (l *Logger) Verbosity() Level { return l.verbosity }

// Warnf prints a warning.
func (l *Logger) Warnf(format string, args ...any) { l.output('W', "WARNING: ", 2, format, args...) }

// Errorf prints an error.
func (l *Logger) Errorf(format string, args ...any) { l.output('E', "ERROR: ", 2, format, args...) }

// V returns an InfoLogger that prints only when verbosity >= level.
func (l *Logger) V(level Level) InfoLogger {
	return InfoLogger{l: l, enabled: level <= l.verbosity}
}

// output prints a message: after prefix, or in klog's format with
// severity sev and the location depth frames up.
func (l *Logger) output(sev byte, prefix string, depth int, format string, args ...any) {
	if l == nil || l.w == nil {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if l.klog {
		file, line := "???", 1
		if _, f, n, ok := runtime.Caller(depth); ok {
			file, line = filepath.Base(f), n
		}
		now := time.Now()
		msg = fmt.Sprintf("%c%02d%02d %s %7d %s:%d] %s", sev, int(now.Month()), now.Day(), now.Format("15:04:05.000000"), os.Getpid(), file, line, msg)
	} else {
		msg = prefix + msg
	}
	l.mu.Lock()
	defer l.mu.Unlock()
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
		i.l.output('I', "", 2, format, args...)
	}
}

// Info prints when the level is enabled.
func (i InfoLogger) Info(msg string) {
	if i.enabled {
		i.l.output('I', "", 2, "%s", msg)
	}
}
