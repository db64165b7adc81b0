// Package advice spells out, as ckat commands, the remedies the library
// names (labs.Remedy): the library says what is wrong and what would fix
// it, and only the command layer knows the commands' names.
package advice

import (
	"fmt"
	"io"

	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/scenarios/session"
)

// WriteTask prints the lab's current task and, where the scenario has a
// guide, where it is and the command that prints it.
func WriteTask(w io.Writer, s *session.Session) {
	s.WriteTask(w)
	if guide, ok := s.GuidePath(); ok {
		fmt.Fprintf(w, "Guide: %s (print it with 'ckat scenario guide %s')\n", guide, s.Source.Metadata.Name)
	}
}

// Add returns msg followed by the command that applies the remedy r for
// the lab called lab (of provider, for labs.RemedyDoctor). It is the one
// place where a library remedy becomes a command line; msg comes back as
// is for no remedy.
func Add(msg string, r labs.Remedy, lab, provider string) string {
	sep := ": "
	if msg == "" {
		sep = ""
	}
	switch r {
	case labs.RemedyList:
		return msg + " (see 'ckat lab list')"
	case labs.RemedyCreate:
		return msg + sep + "start one with 'ckat start etcd-backup-restore'"
	case labs.RemedyStart:
		return msg + sep + fmt.Sprintf("start it with 'ckat lab start %s'", lab)
	case labs.RemedyDelete:
		return msg + sep + fmt.Sprintf("delete it with 'ckat delete --lab %s'", lab)
	case labs.RemedyDoctor:
		return msg + fmt.Sprintf(" (see 'ckat doctor --provider %s')", provider)
	case labs.RemedyScenario:
		return msg + sep + fmt.Sprintf("start one with 'ckat start SCENARIO --lab %s'", lab)
	}
	return msg
}

// Error returns err with its remedy's command added, or err itself when
// it carries no remedy. The result wraps err.
func Error(err error) error {
	re, ok := labs.RemedyOf(err)
	if !ok {
		return err
	}
	return &advised{err: err, msg: Add(err.Error(), re.Remedy, re.Lab, re.Provider)}
}

// Status returns s with its remedy's command added to its message.
func Status(s labs.Status) labs.Status {
	s.Message = Add(s.Message, s.Remedy, s.Name, s.Provider)
	return s
}

// advised is an error with a remedy, its message saying how to apply it.
type advised struct {
	err error
	msg string
}

func (a *advised) Error() string { return a.msg }
func (a *advised) Unwrap() error { return a.err }
