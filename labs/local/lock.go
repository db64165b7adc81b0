package local

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/ckat/ckat/labs"
)

// lockLabs takes an exclusive lock over the labs directory, so that two
// creations do not pick the same node IP.
func lockLabs() (unlock func(), err error) {
	home, err := labs.Home()
	if err != nil {
		return nil, err
	}
	return flock(filepath.Join(home, "labs", ".lock"), "the labs directory")
}

// lockLab takes an exclusive lock over one lab, so that two commands do
// not start, stop or delete it at the same time; the second waits.
func lockLab(dir string) (unlock func(), err error) {
	return flock(filepath.Join(dir, "run", "lock"), "the lab")
}

// flock locks the file at path (creating it and its directory), waiting
// for any other holder.
func flock(path, what string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("locking %s: %w", what, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", what, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", what, err)
	}
	return func() { f.Close() }, nil
}
