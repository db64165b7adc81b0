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
	"strings"

	"github.com/ckat/ckat/labs"
)

// HostPath copies the node's file or directory at p into a new temporary
// directory on the host (through tar run on the node) and returns the
// copy's path; release removes the copy. A final symlink is resolved on
// the node first, so the copy is of what p points to.
func (n *Node) HostPath(ctx context.Context, p string) (string, func(), error) {
	if err := checkNodePath("copy", p); err != nil {
		return "", nil, err
	}
	out, err := n.output(ctx, "copy", p, "readlink", "-e", "-v", "--", p)
	if err != nil {
		return "", nil, err
	}
	real := strings.TrimSuffix(string(out), "\n")
	if real == "/" || !strings.HasPrefix(real, "/") {
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
	if extractErr != nil {
		release()
		return "", nil, fmt.Errorf("copying %s off node %s: %w", p, n.name, extractErr)
	}
	var ee *labs.ExitError
	if errors.As(runErr, &ee) && ee.Code == 1 {
		// GNU tar's "some files changed as we read them", as when etcd
		// writes its data directory: the copy is whole, as of that moment.
		runErr = nil
	}
	if runErr != nil {
		release()
		return "", nil, fmt.Errorf("copying %s off node %s: %s: %w", p, n.name, firstLine(stderr.String(), "tar failed"), runErr)
	}
	return filepath.Join(tmp, base), release, nil
}

// tarArgs archive dir/base to stdout with names starting "./base", which
// no tar can read as an option.
func tarArgs(dir, base string) []string {
	return []string{"tar", "-C", dir, "-cf", "-", "./" + base}
}

// extractTar unpacks a tar stream of one file or directory called top into
// dest. It refuses names outside top, absolute names, '..', links that
// leave dest, and writing through a symlink it made; devices, FIFOs and
// sockets are skipped.
func extractTar(r io.Reader, dest, top string) error {
	tr := tar.NewReader(r)
	links := map[string]bool{} // symlinks made so far, by clean name
	seen := false
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("reading the archive: %w", err)
		}
		name, err := cleanEntryName(h.Name, top)
		if err != nil {
			return err
		}
		for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
			if links[dir] {
				return fmt.Errorf("archive entry %q lies under the symlink %q", h.Name, dir)
			}
		}
		target := filepath.Join(dest, filepath.FromSlash(name))
		seen = true
		mode := fs.FileMode(h.Mode) & fs.ModePerm
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o700); err != nil {
				return err
			}
			defer os.Chmod(target, mode|0o700) // after its contents are written
		case tar.TypeReg:
			if err := writeFile(target, tr, mode); err != nil {
				return err
			}
			_ = os.Chtimes(target, h.ModTime, h.ModTime)
		case tar.TypeSymlink:
			if err := os.Symlink(h.Linkname, target); err != nil {
				return err
			}
			links[name] = true
		case tar.TypeLink:
			linked, err := cleanEntryName(h.Linkname, top)
			if err != nil {
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
		return errors.New("the archive was empty")
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
