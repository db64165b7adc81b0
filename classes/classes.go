// Package classes keeps workshop classes: a class is a scenario, a list of
// learners with one lab each, and the tokens that let each learner reach
// their own lab and the instructor reach the whole class. A class lives in
// its own directory under ckat's home (classes/NAME/) and keeps there
// everything a restart of `ckat serve` must not lose: class.json (the
// class, its learners and their token hashes), the instructor token, and
// each learner's grades and hints (learners/NAME/grades.jsonl,
// hints.jsonl). Files are 0600 and directories 0700: a token reaches a lab
// and its host shell.
//
// The web server and the commands share it: AuthLearner and
// AuthInstructor check tokens, Status and BuildReport read the class,
// RecordGrade and RecordHint write what a learner did, Session, Restart,
// Freeze and Thaw act on a learner's lab.
package classes

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Errors callers tell apart with errors.Is.
var (
	// ErrNotFound is a class that does not exist.
	ErrNotFound = errors.New("class not found")
	// ErrExists is a class created twice.
	ErrExists = errors.New("class exists")
	// ErrNoLearner is a learner the class does not have.
	ErrNoLearner = errors.New("no such learner")
	// ErrBadToken is a token that matches no learner (or not the
	// instructor): wrong, malformed, or from a deleted class.
	ErrBadToken = errors.New("invalid token")
)

// Name limits: a learner's lab is called CLASS-LEARNER, and a lab name
// holds at most 32 characters (labs.ValidateName).
const (
	MaxClassName   = 12
	MaxLearnerName = 19
)

var (
	classNameRE   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$`)
	learnerNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,17}[a-z0-9])?$`)
)

// ValidateClassName checks a class name: 1 to 12 lowercase letters, digits
// and '-', starting and ending with a letter or digit.
func ValidateClassName(name string) error {
	if !classNameRE.MatchString(name) {
		return fmt.Errorf("invalid class name %q: use 1 to %d lowercase letters, digits and '-', starting and ending with a letter or digit", name, MaxClassName)
	}
	return nil
}

// ValidateLearnerName checks a learner name: 1 to 19 lowercase letters,
// digits and '-', starting and ending with a letter or digit (a DNS label
// short enough to name the learner's lab and directory).
func ValidateLearnerName(name string) error {
	if !learnerNameRE.MatchString(name) {
		return fmt.Errorf("invalid learner name %q: use 1 to %d lowercase letters, digits and '-', starting and ending with a letter or digit", name, MaxLearnerName)
	}
	return nil
}

// LabName is the name of a learner's lab in a class.
func LabName(class, learner string) string { return class + "-" + learner }

// Class is a workshop class as class.json holds it.
type Class struct {
	Name     string `json:"name"`
	Scenario string `json:"scenario"`
	// Seed, when set, is the seed every learner's parameters are drawn
	// from; otherwise each learner's lab draws its own.
	Seed     *uint64   `json:"seed,omitempty"`
	Provider string    `json:"provider"`
	Created  time.Time `json:"created"`
	// InstructorTokenHash is the sha256 (hex) of the instructor token.
	InstructorTokenHash string    `json:"instructorTokenHash"`
	Learners            []Learner `json:"learners"`

	dir string
}

// Learner is one learner of a class and their lab.
type Learner struct {
	Name string `json:"name"`
	Lab  string `json:"lab"`
	// TokenHash is the sha256 (hex) of the learner's token; the token
	// itself is printed once, when the learner is added, and not kept.
	TokenHash string `json:"tokenHash"`
	// Ready is when the learner's lab was set up: the start of the clock
	// for time to first full marks.
	Ready time.Time `json:"ready"`
}

// Dir is the class's directory.
func (c *Class) Dir() string { return c.dir }

// Learner returns the learner called name.
func (c *Class) Learner(name string) (Learner, error) {
	for _, l := range c.Learners {
		if l.Name == name {
			return l, nil
		}
	}
	return Learner{}, fmt.Errorf("%w: class %s has no learner %q", ErrNoLearner, c.Name, name)
}
