package classes

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ckat/ckat/grader"
)

const (
	gradesFile = "grades.jsonl"
	hintsFile  = "hints.jsonl"
	// maxRecordLine bounds one line of a record file (a report with its
	// evidence).
	maxRecordLine = 4 << 20
)

// Grade is one grade of a learner's lab as the class keeps it: when, which
// stage, and the report with every check's status, points and evidence
// (the grader masks Secret values in evidence, and so the class never
// holds one).
type Grade struct {
	Time   time.Time     `json:"time"`
	Stage  string        `json:"stage"`
	Report grader.Report `json:"report"`
}

// Hint is one hint a learner was shown.
type Hint struct {
	Time  time.Time `json:"time"`
	Stage string    `json:"stage"`
	// N is the hint's 1-based number in its stage.
	N int `json:"n"`
}

// learnerDir is where a learner's records live.
func (c *Class) learnerDir(learner string) string {
	return filepath.Join(c.dir, learnersDir, learner)
}

// RecordGrade keeps a learner's grade of stage. The web server and `ckat
// grade` both call it, so the class sees every grade however it was made.
func (c *Class) RecordGrade(learner, stage string, rep grader.Report) (Grade, error) {
	if _, err := c.Learner(learner); err != nil {
		return Grade{}, err
	}
	g := Grade{Time: time.Now().UTC(), Stage: stage, Report: rep}
	return g, c.appendRecord(learner, gradesFile, g)
}

// RecordHint keeps that a learner was shown hint n of stage.
func (c *Class) RecordHint(learner, stage string, n int) error {
	if _, err := c.Learner(learner); err != nil {
		return err
	}
	return c.appendRecord(learner, hintsFile, Hint{Time: time.Now().UTC(), Stage: stage, N: n})
}

// Grades returns a learner's grades, oldest first.
func (c *Class) Grades(learner string) ([]Grade, error) {
	var out []Grade
	err := c.readRecords(learner, gradesFile, func(line []byte) error {
		var g Grade
		if err := json.Unmarshal(line, &g); err != nil {
			return err
		}
		out = append(out, g)
		return nil
	})
	return out, err
}

// Hints returns the hints a learner was shown, oldest first.
func (c *Class) Hints(learner string) ([]Hint, error) {
	var out []Hint
	err := c.readRecords(learner, hintsFile, func(line []byte) error {
		var h Hint
		if err := json.Unmarshal(line, &h); err != nil {
			return err
		}
		out = append(out, h)
		return nil
	})
	return out, err
}

// LastRecorded is when any learner's grade or hint was last recorded:
// a watcher (the instructor's grid) polls it to see grades made by other
// processes.
func (c *Class) LastRecorded() time.Time {
	var last time.Time
	for _, l := range c.Learners {
		for _, f := range []string{gradesFile, hintsFile} {
			if fi, err := os.Stat(filepath.Join(c.learnerDir(l.Name), f)); err == nil && fi.ModTime().After(last) {
				last = fi.ModTime()
			}
		}
	}
	return last
}

// appendRecord appends v as one JSON line; one write per line, with
// O_APPEND, so concurrent writers do not interleave.
func (c *Class) appendRecord(learner, file string, v any) error {
	dir := c.learnerDir(learner)
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return fmt.Errorf("recording for learner %s: %w", learner, err)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dir, file), os.O_WRONLY|os.O_CREATE|os.O_APPEND, fileMode)
	if err != nil {
		return fmt.Errorf("recording for learner %s: %w", learner, err)
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("recording for learner %s: %w", learner, err)
	}
	return f.Close()
}

// readRecords calls f on each line of a learner's record file; a file not
// written yet has none. A damaged line is an error naming the file and
// line.
func (c *Class) readRecords(learner, file string, f func([]byte) error) error {
	path := filepath.Join(c.learnerDir(learner), file)
	fh, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 64<<10), maxRecordLine)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		if err := f(sc.Bytes()); err != nil {
			return fmt.Errorf("%s:%d is damaged: %w", path, n, err)
		}
	}
	return sc.Err()
}

// ForLab finds the class and learner a lab belongs to; ok is false for a
// lab of no class. `ckat grade` and `ckat hint` use it to record what a
// learner does from the command line.
func (s *Store) ForLab(lab string) (c *Class, l Learner, ok bool, err error) {
	all, err := s.List()
	if err != nil {
		return nil, Learner{}, false, err
	}
	for _, c := range all {
		for _, l := range c.Learners {
			if l.Lab == lab {
				return c, l, true, nil
			}
		}
	}
	return nil, Learner{}, false, nil
}

// RecordGradeForLab records a grade made on a lab outside the web server
// (`ckat grade`) for the learner whose lab it is; a lab of no class
// records nothing.
func RecordGradeForLab(lab, stage string, rep grader.Report) error {
	c, l, ok, err := forLab(lab)
	if !ok || err != nil {
		return err
	}
	_, err = c.RecordGrade(l.Name, stage, rep)
	return err
}

// RecordHintForLab records a hint shown by `ckat hint` for the learner
// whose lab it is; a lab of no class records nothing.
func RecordHintForLab(lab, stage string, n int) error {
	c, l, ok, err := forLab(lab)
	if !ok || err != nil {
		return err
	}
	return c.RecordHint(l.Name, stage, n)
}

func forLab(lab string) (*Class, Learner, bool, error) {
	s, err := DefaultStore()
	if err != nil {
		return nil, Learner{}, false, err
	}
	return s.ForLab(lab)
}
