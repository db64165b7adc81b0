package labs

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"
)

// recordFile marks a directory as a lab ckat created; nothing without it is
// ever deleted.
const recordFile = "lab.json"

// Record is the provider-neutral file every lab directory holds.
type Record struct {
	Name     string    `json:"name"`
	Provider string    `json:"provider"`
	Created  time.Time `json:"created"`
}

// ErrNotFound is returned for a lab that does not exist.
var ErrNotFound = errors.New("lab not found")

var nameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$`)

// ValidateName checks a lab name: 1 to 32 lowercase letters, digits and
// dashes, starting and ending with a letter or digit (it names a
// directory, a kubeconfig context and, on kind, a cluster).
func ValidateName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("invalid lab name %q: use 1 to 32 lowercase letters, digits and '-', starting and ending with a letter or digit", name)
	}
	return nil
}

// Home is ckat's state directory: $CKAT_HOME, else $XDG_STATE_HOME/ckat,
// else ~/.local/state/ckat.
func Home() (string, error) {
	if h := os.Getenv("CKAT_HOME"); h != "" {
		return filepath.Abs(h)
	}
	if x := os.Getenv("XDG_STATE_HOME"); x != "" {
		return filepath.Join(x, "ckat"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot find a state directory: set CKAT_HOME: %w", err)
	}
	return filepath.Join(home, ".local", "state", "ckat"), nil
}

// Dir is the directory of the lab called name.
func Dir(name string) (string, error) {
	if err := ValidateName(name); err != nil {
		return "", err
	}
	home, err := Home()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, "labs", name), nil
}

// ReadRecord reads the record of the lab called name.
func ReadRecord(name string) (Record, error) {
	dir, err := Dir(name)
	if err != nil {
		return Record{}, err
	}
	data, err := os.ReadFile(filepath.Join(dir, recordFile))
	if errors.Is(err, os.ErrNotExist) {
		return Record{}, WithRemedy(fmt.Errorf("%w: no lab called %q", ErrNotFound, name), RemedyList, "")
	}
	if err != nil {
		return Record{}, fmt.Errorf("reading lab %q: %w", name, err)
	}
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return Record{}, fmt.Errorf("lab %q: %s is damaged: %w", name, filepath.Join(dir, recordFile), err)
	}
	return r, nil
}

// CreateDir makes a new lab directory with its record and returns its
// path. It fails if the lab exists.
func CreateDir(r Record) (string, error) {
	dir, err := Dir(r.Name)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", filepath.Dir(dir), err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, os.ErrExist) {
			return "", WithRemedy(fmt.Errorf("lab %q already exists", r.Name), RemedyDelete, r.Name)
		}
		return "", fmt.Errorf("creating lab directory: %w", err)
	}
	if r.Created.IsZero() {
		r.Created = time.Now().UTC()
	}
	data, _ := json.MarshalIndent(r, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, recordFile), append(data, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("writing lab record: %w", err)
	}
	return dir, nil
}

// List returns the records of all labs, sorted by name. Directories
// without a readable record are skipped.
func List() ([]Record, error) {
	home, err := Home()
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(filepath.Join(home, "labs"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing labs: %w", err)
	}
	var out []Record
	for _, e := range entries {
		if !e.IsDir() || ValidateName(e.Name()) != nil {
			continue
		}
		if r, err := ReadRecord(e.Name()); err == nil {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Resolve picks the lab a command acts on: name if given, else $CKAT_LAB,
// else the only lab there is.
func Resolve(name string) (Record, error) {
	if name == "" {
		name = os.Getenv("CKAT_LAB")
	}
	if name != "" {
		return ReadRecord(name)
	}
	all, err := List()
	if err != nil {
		return Record{}, err
	}
	switch len(all) {
	case 0:
		return Record{}, WithRemedy(fmt.Errorf("%w: there are no labs yet", ErrNotFound), RemedyCreate, "")
	case 1:
		return all[0], nil
	}
	names := make([]string, len(all))
	for i, r := range all {
		names[i] = r.Name
	}
	return Record{}, fmt.Errorf("there are %d labs (%v): say which with --lab NAME", len(all), names)
}

// RemoveDir deletes the directory of the lab called name. It refuses a
// directory without a lab record, and a lab directory that is itself a
// symlink; os.RemoveAll never follows symlinks inside it.
func RemoveDir(name string) error {
	dir, err := Dir(name)
	if err != nil {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%w: no lab called %q", ErrNotFound, name)
		}
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("refusing to delete %s: not a directory ckat created (it is a %s)", dir, describeMode(fi.Mode()))
	}
	rfi, err := os.Lstat(filepath.Join(dir, recordFile))
	if err != nil || !rfi.Mode().IsRegular() {
		return fmt.Errorf("refusing to delete %s: it has no %s, so ckat did not create it", dir, recordFile)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("deleting lab %q: %w", name, err)
	}
	return nil
}

func describeMode(m os.FileMode) string {
	switch {
	case m&os.ModeSymlink != 0:
		return "symlink"
	case m.IsRegular():
		return "regular file"
	default:
		return m.Type().String()
	}
}
