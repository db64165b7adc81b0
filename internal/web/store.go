package web

import (
	"io"
	"time"

	"github.com/ckat/ckat/grader"
)

// Learner is a learner of a class and the lab that is theirs.
type Learner struct {
	Class string
	Name  string
	Lab   string
}

// Grade is a learner's recorded grade.
type Grade struct {
	Time   time.Time
	Stage  string
	Report grader.Report
}

// Store is the class state the server reads and records into; it lives on
// disk, so a restart of the server loses nothing. Tokens are checked by
// the store, in constant time; an unknown token is an error.
type Store interface {
	// AuthLearner returns the learner a learner's token belongs to.
	AuthLearner(token string) (Learner, error)
	// AuthInstructor returns the name of the class an instructor's token
	// belongs to.
	AuthInstructor(token string) (class string, err error)
	// Learners lists a class's learners.
	Learners(class string) ([]Learner, error)
	// Grades returns a learner's grades, oldest first.
	Grades(l Learner) ([]Grade, error)
	// HintsUsed is how many hints a learner was shown.
	HintsUsed(l Learner) (int, error)
	// RecordGrade and RecordHint keep what a learner did.
	RecordGrade(l Learner, stage string, rep grader.Report) error
	RecordHint(l Learner, stage string, n int) error
	// LastRecorded is when the class last recorded a grade or hint, by
	// this server or by a command.
	LastRecorded(class string) time.Time
	// ReportFormats are the formats WriteReport writes, the first the
	// default.
	ReportFormats() []string
	// WriteReport writes the class's report in a format.
	WriteReport(w io.Writer, class, format string) error
}
