package kind

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ckat/ckat/labs"
)

// HostPath copies the node's file or directory at p into a new temporary
// directory on the host (through tar run on the node) and returns the
// copy's path; release removes the copy. A final symlink is resolved on
// the node first, so the copy is of what p points to.
func (n *Node) HostPath(ctx context.Context, p string) (string, func(), error) {
	real, err := n.realPath(ctx, "copy", p)
	if err != nil {
		return "", nil, err
	}
	if real == "/" {
		return "", nil, &fs.PathError{Op: "copy", Path: p, Err: errors.New("refusing to copy the node's whole root")}
	}
	dir, base := path.Split(real)
	tmp, err := os.MkdirTemp("", "ckat-kind-copy-")
	if err != nil {
		return "", nil, err
	}
	release := func() { _ = os.RemoveAll(tmp) }
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		err := extractTar(pr, tmp, base)
		if err == nil {
			_, _ = io.Copy(io.Discard, pr) // the archive's end padding
		}
		pr.CloseWithError(err)
		done <- err
	}()
	runErr := n.runner.run(ctx, labs.Command{Args: tarArgs(dir, base), Stdout: pw, Stderr: &stderr})
	pw.Close()
	extractErr := <-done
	// GNU tar exits 1 for "some files changed as we read them", as when
	// etcd writes its data directory: the copy is whole, as of that moment.
	var ee *labs.ExitError
	changed := errors.As(runErr, &ee) && ee.Code == 1
	var se streamError
	switch {
	case runErr != nil && (extractErr == nil && !changed || errors.As(extractErr, &se)):
		// An archive empty or cut short because tar failed: tar says why.
		release()
		return "", nil, fmt.Errorf("copying %s off node %s: %s: %w", p, n.name, firstLine(stderr.String(), "tar failed"), runErr)
	case extractErr != nil:
		// Something in the archive was refused; tar, its pipe closed,
		// may have failed too, but that is not the news.
		release()
		return "", nil, fmt.Errorf("copying %s off node %s: %w", p, n.name, extractErr)
	}
	return filepath.Join(tmp, base), release, nil
}

// tarArgs archive dir/base to stdout with names starting "./base", which
// no tar can read as an option.
func tarArgs(dir, base string) []string {
	return []string{"tar", "-C", dir, "-cf", "-", "./" + base}
}

// extractTar unpacks a tar stream of one file or directory called top into
// dest. It refuses names outside top, absolute names, '..', writing through
// or over a symlink it made, hard links to names outside top or to
// symlinks, and symlinks that lead out of top as the host would follow
// them (so the grader never reads a host file through the copy); devices,
// FIFOs and sockets are skipped. On an error dest may hold part of the
// copy, though no symlink out of top; the caller removes it.
func extractTar(r io.Reader, dest, top string) error {
	tr := tar.NewReader(r)
	links := map[string]symlink{} // symlinks made so far, by clean name
	var dirs []dirMode
	seen := false
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return streamError{fmt.Errorf("reading the archive: %w", err)}
		}
		name, err := cleanEntryName(h.Name, top)
		if err != nil {
			return err
		}
		if err := notThroughSymlink(h.Name, name, links); err != nil {
			return err
		}
		target := filepath.Join(dest, filepath.FromSlash(name))
		seen = true
		mode := fs.FileMode(h.Mode) & fs.ModePerm
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o700); err != nil {
				return err
			}
			dirs = append(dirs, dirMode{target, mode | 0o700}) // set after their contents are written
		case tar.TypeReg:
			if err := writeFile(target, tr, mode); err != nil {
				if errors.Is(err, io.ErrUnexpectedEOF) {
					return streamError{fmt.Errorf("reading the archive: %w", err)}
				}
				return err
			}
			_ = os.Chtimes(target, h.ModTime, h.ModTime)
		case tar.TypeSymlink:
			if err := checkSymlink(dest, top, name, h.Linkname); err != nil {
				return fmt.Errorf("archive entry %q: %w", h.Name, err)
			}
			if err := os.Symlink(h.Linkname, target); err != nil {
				return err
			}
			links[name] = symlink{entry: h.Name, target: h.Linkname}
		case tar.TypeLink:
			linked, err := cleanEntryName(h.Linkname, top)
			if err != nil {
				return fmt.Errorf("hard link %q: %w", h.Name, err)
			}
			// A hard link to a symlink is that symlink in another
			// directory, where its target may lead elsewhere.
			if _, ok := links[linked]; ok {
				return fmt.Errorf("archive entry %q is a hard link to the symlink %q", h.Name, h.Linkname)
			}
			if err := notThroughSymlink(h.Linkname, linked, links); err != nil {
				return fmt.Errorf("hard link %q: %w", h.Name, err)
			}
			if err := os.Link(filepath.Join(dest, filepath.FromSlash(linked)), target); err != nil {
				return err
			}
		default:
			// devices, FIFOs and sockets have no content to grade
		}
	}
	if !seen {
		return streamError{errEmptyArchive}
	}
	// A symlink may lead through symlinks that came after it in the
	// archive: check each again now that all are in place.
	names := make([]string, 0, len(links))
	for name := range links {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		l := links[name]
		if err := checkSymlink(dest, top, name, l.target); err != nil {
			_ = os.Remove(filepath.Join(dest, filepath.FromSlash(name)))
			return fmt.Errorf("archive entry %q: %w", l.entry, err)
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		_ = os.Chmod(dirs[i].path, dirs[i].mode)
	}
	return nil
}

// errEmptyArchive is extractTar's error for a stream with no entries.
var errEmptyArchive = errors.New("the archive was empty")

// streamError is an extractTar error about the stream rather than what it
// holds: it was empty, cut short or not tar, as when tar on the node
// failed before it wrote the whole archive.
type streamError struct{ err error }

func (e streamError) Error() string { return e.err.Error() }
func (e streamError) Unwrap() error { return e.err }

type symlink struct{ entry, target string }

type dirMode struct {
	path string
	mode fs.FileMode
}

// notThroughSymlink refuses the archive entry called entry (clean name
// name) if it is, or lies under, a symlink extractTar made.
func notThroughSymlink(entry, name string, links map[string]symlink) error {
	if _, ok := links[name]; ok {
		return fmt.Errorf("archive entry %q would replace the symlink %q", entry, name)
	}
	for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
		if _, ok := links[dir]; ok {
			return fmt.Errorf("archive entry %q lies under the symlink %q", entry, dir)
		}
	}
	return nil
}

// maxSymlinkHops is Linux's limit on symlinks followed in one lookup.
const maxSymlinkHops = 40

// checkSymlink follows a symlink called name (clean, under dest) to target
// as the host's kernel would, through the symlinks already under dest, and
// refuses it if it leads out of top: an absolute target always does, since
// on the host it names a host file. A name that does not exist (yet) counts
// as a plain one.
func checkSymlink(dest, top, name, target string) error {
	leaves := fmt.Errorf("symlink to %q leaves the copied directory", target)
	if path.IsAbs(target) {
		return leaves
	}
	var cur []string // the resolved path so far, below dest, with no symlinks
	if dir := path.Dir(name); dir != "." {
		cur = strings.Split(dir, "/")
	}
	todo := strings.Split(target, "/")
	hops := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(cur) == 0 {
				return leaves
			}
			cur = cur[:len(cur)-1]
			continue
		}
		next := filepath.Join(dest, filepath.FromSlash(path.Join(path.Join(cur...), c)))
		fi, err := os.Lstat(next)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			cur = append(cur, c)
			continue
		}
		if hops++; hops > maxSymlinkHops {
			return fmt.Errorf("symlink to %q: too many levels of symbolic links", target)
		}
		t, err := os.Readlink(next)
		if err != nil {
			return err
		}
		if path.IsAbs(t) {
			return leaves
		}
		todo = append(strings.Split(t, "/"), todo...)
	}
	if p := path.Join(cur...); p != top && !strings.HasPrefix(p, top+"/") {
		return leaves
	}
	return nil
}

// cleanEntryName returns an archive name relative to dest, checking it is
// top or below it.
func cleanEntryName(name, top string) (string, error) {
	if strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("archive entry %q is absolute", name)
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", fmt.Errorf("archive entry %q leaves the copy", name)
		}
	}
	clean := path.Clean(name)
	if clean != top && !strings.HasPrefix(clean, top+"/") {
		return "", fmt.Errorf("archive entry %q is not under %q", name, top)
	}
	return clean, nil
}

func writeFile(target string, r io.Reader, mode fs.FileMode) error {
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode|0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Chmod(target, mode)
}
