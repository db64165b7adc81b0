package node

import (
	"errors"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// resolve returns the canonical form of the absolute path p inside the
// directory tree at root (a host path): every symlink is resolved as the
// node would, an absolute target starting again at root and ".." never
// climbing above it. The last component is followed only when follow is
// set. Errors are bare errnos (ENOENT, ENOTDIR, ELOOP, EACCES).
func resolve(root, p string, follow bool) (string, error) {
	if !path.IsAbs(p) {
		return "", unix.EINVAL
	}
	resolved := "/"
	todo := split(p)
	links := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case ".":
			continue
		case "..":
			resolved = path.Dir(resolved)
			continue
		}
		next := path.Join(resolved, c)
		last := len(todo) == 0
		if last && !follow {
			return next, nil
		}
		fi, err := os.Lstat(root + next)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return "", err
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			if !last && !fi.IsDir() {
				return "", unix.ENOTDIR
			}
			resolved = next
			continue
		}
		links++
		if links > maxSymlinks {
			return "", unix.ELOOP
		}
		target, err := os.Readlink(root + next)
		if err != nil {
			return "", unix.EINVAL
		}
		if path.IsAbs(target) {
			resolved = "/"
		}
		todo = append(split(target), todo...)
	}
	return resolved, nil
}

// split returns p's non-empty components.
func split(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}
