package classes

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/ckat/ckat/internal/atomicfile"
	"github.com/ckat/ckat/labs"
)

const (
	classFile      = "class.json"
	instructorFile = "instructor-token"
	lockFile       = ".lock"
	learnersDir    = "learners"
	fileMode       = 0o600
	dirMode        = 0o700
)

// Store is the directory that holds every class: classes/ under ckat's
// home (labs.Home: $CKAT_HOME, else the XDG state directory).
type Store struct {
	dir string
}

// DefaultStore returns the store under ckat's home.
func DefaultStore() (*Store, error) {
	home, err := labs.Home()
	if err != nil {
		return nil, err
	}
	return &Store{dir: filepath.Join(home, "classes")}, nil
}

// NewStore returns a store rooted at dir.
func NewStore(dir string) *Store { return &Store{dir: dir} }

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

func (s *Store) classDir(name string) string { return filepath.Join(s.dir, name) }

// Create makes a new class with no learners yet and returns it with the
// instructor token, which is also kept (0600) in the class's directory as
// the only copy. A class that exists is ErrExists.
func (s *Store) Create(name, scenario, provider string, seed *uint64) (*Class, string, error) {
	if err := ValidateClassName(name); err != nil {
		return nil, "", err
	}
	if err := os.MkdirAll(s.dir, dirMode); err != nil {
		return nil, "", fmt.Errorf("creating %s: %w", s.dir, err)
	}
	dir := s.classDir(name)
	if err := os.Mkdir(dir, dirMode); err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, "", fmt.Errorf("%w: class %q already exists", ErrExists, name)
		}
		return nil, "", fmt.Errorf("creating class directory: %w", err)
	}
	token, hash, err := newToken()
	if err != nil {
		return nil, "", err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, instructorFile), []byte(token+"\n"), fileMode); err != nil {
		return nil, "", fmt.Errorf("saving the instructor token: %w", err)
	}
	c := &Class{Name: name, Scenario: scenario, Seed: seed, Provider: provider, Created: time.Now().UTC(), InstructorTokenHash: hash, Learners: []Learner{}, dir: dir}
	if err := c.save(); err != nil {
		return nil, "", err
	}
	return c, token, nil
}

// Open reads the class called name; one that does not exist is
// ErrNotFound.
func (s *Store) Open(name string) (*Class, error) {
	if err := ValidateClassName(name); err != nil {
		return nil, err
	}
	dir := s.classDir(name)
	data, err := os.ReadFile(filepath.Join(dir, classFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: no class called %q", ErrNotFound, name)
	}
	if err != nil {
		return nil, fmt.Errorf("reading class %q: %w", name, err)
	}
	c := &Class{dir: dir}
	if err := json.Unmarshal(data, c); err != nil {
		return nil, fmt.Errorf("class %q: %s is damaged: %w", name, filepath.Join(dir, classFile), err)
	}
	return c, nil
}

// List returns every class, sorted by name. Directories without a
// readable class.json are skipped.
func (s *Store) List() ([]*Class, error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing classes: %w", err)
	}
	var out []*Class
	for _, e := range entries {
		if !e.IsDir() || ValidateClassName(e.Name()) != nil {
			continue
		}
		if c, err := s.Open(e.Name()); err == nil {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Delete removes the class's directory (grades, hints, tokens). It does
// not touch the learners' labs: delete those first (DeleteLabs). It
// refuses a directory without class.json, and one that is a symlink.
func (s *Store) Delete(name string) error {
	if err := ValidateClassName(name); err != nil {
		return err
	}
	dir := s.classDir(name)
	fi, err := os.Lstat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: no class called %q", ErrNotFound, name)
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("refusing to delete %s: not a directory ckat created", dir)
	}
	if rfi, err := os.Lstat(filepath.Join(dir, classFile)); err != nil || !rfi.Mode().IsRegular() {
		return fmt.Errorf("refusing to delete %s: it has no %s, so ckat did not create it", dir, classFile)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("deleting class %q: %w", name, err)
	}
	return nil
}

// InstructorToken reads the instructor token kept in the class's
// directory.
func (c *Class) InstructorToken() (string, error) {
	data, err := os.ReadFile(filepath.Join(c.dir, instructorFile))
	if err != nil {
		return "", fmt.Errorf("reading the instructor token of class %s: %w", c.Name, err)
	}
	return string(trimNewline(data)), nil
}

// InstructorTokenPath is the file that holds the instructor token.
func (c *Class) InstructorTokenPath() string { return filepath.Join(c.dir, instructorFile) }

// AddLearner adds a learner whose lab is set up (learners are kept in
// name order) and returns the learner's token, which is not kept anywhere: print it now. The class is re-read
// and written under a lock, so concurrent adds keep each other's learners.
func (c *Class) AddLearner(name, lab string, ready time.Time) (Learner, string, error) {
	if err := ValidateLearnerName(name); err != nil {
		return Learner{}, "", err
	}
	token, hash, err := newToken()
	if err != nil {
		return Learner{}, "", err
	}
	l := Learner{Name: name, Lab: lab, TokenHash: hash, Ready: ready.UTC()}
	err = c.update(func(cur *Class) error {
		if _, err := cur.Learner(name); err == nil {
			return fmt.Errorf("class %s has a learner %q already", c.Name, name)
		}
		cur.Learners = append(cur.Learners, l)
		sort.Slice(cur.Learners, func(i, j int) bool { return cur.Learners[i].Name < cur.Learners[j].Name })
		return nil
	})
	if err != nil {
		return Learner{}, "", err
	}
	return l, token, nil
}

// update re-reads class.json under the class's lock, applies f and writes
// it back; c then holds what was written.
func (c *Class) update(f func(*Class) error) error {
	unlock, err := lock(c.dir)
	if err != nil {
		return err
	}
	defer unlock()
	cur, err := (&Store{dir: filepath.Dir(c.dir)}).Open(c.Name)
	if err != nil {
		return err
	}
	if err := f(cur); err != nil {
		return err
	}
	if err := cur.save(); err != nil {
		return err
	}
	*c = *cur
	return nil
}

func (c *Class) save() error {
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(c.dir, classFile), append(data, '\n'), fileMode); err != nil {
		return fmt.Errorf("saving class %q: %w", c.Name, err)
	}
	return nil
}

// lock takes an exclusive flock on the class directory's lock file.
func lock(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, fileMode)
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	return func() { f.Close() }, nil
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
