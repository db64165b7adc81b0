package advice

import (
	"errors"
	"fmt"

	"github.com/ckat/ckat/classes"
)

// ServeClass is what `ckat class create` says once the links are printed:
// the command that serves them.
func ServeClass() string {
	return "Run 'ckat serve' on this machine and give each learner their link; the links work while it runs."
}

// ClassRestart is the command that restarts a learner's lab in a class.
func ClassRestart(class, learner string) string {
	return fmt.Sprintf("ckat class restart %s %s", class, learner)
}

// ClassCreate is the command that adds a class's missing learners again.
func ClassCreate(class string) string {
	return fmt.Sprintf("ckat class create %s", class)
}

// ClassList is the command that lists the classes there are.
const ClassList = "ckat class list"

// OpenClass opens the class called name in ckat's home; a class that does
// not exist says how to list the classes there are.
func OpenClass(name string) (*classes.Store, *classes.Class, error) {
	s, err := classes.DefaultStore()
	if err != nil {
		return nil, nil, err
	}
	c, err := s.Open(name)
	if errors.Is(err, classes.ErrNotFound) {
		return nil, nil, fmt.Errorf("%w (see '%s')", err, ClassList)
	}
	return s, c, err
}
