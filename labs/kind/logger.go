package kind

import (
	kindlog "sigs.k8s.io/kind/pkg/log"

	"github.com/ckat/ckat/internal/log"
)

// kindLogger passes kind's own progress ("Preparing nodes", "Starting
// control-plane") and warnings to ckat's levelled logger, at the same
// levels kind uses.
type kindLogger struct {
	l *log.Logger
}

var _ kindlog.Logger = kindLogger{}

func (k kindLogger) Warn(message string) { k.l.Warnf("%s", message) }

func (k kindLogger) Warnf(format string, args ...interface{}) { k.l.Warnf(format, args...) }

func (k kindLogger) Error(message string) { k.l.Errorf("%s", message) }

func (k kindLogger) Errorf(format string, args ...interface{}) { k.l.Errorf(format, args...) }

func (k kindLogger) V(level kindlog.Level) kindlog.InfoLogger {
	return kindInfoLogger{k.l.V(log.Level(level))}
}

type kindInfoLogger struct {
	i log.InfoLogger
}

func (k kindInfoLogger) Info(message string) { k.i.Info(message) }

func (k kindInfoLogger) Infof(format string, args ...interface{}) { k.i.Infof(format, args...) }

func (k kindInfoLogger) Enabled() bool { return k.i.Enabled() }
