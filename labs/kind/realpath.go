package kind

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
)

// RealPath resolves p on the node with one command run in its container,
// readlink -e (realpath -e), so that comparing two paths copies nothing.
func (n *Node) RealPath(ctx context.Context, p string) (string, error) {
	return n.realPath(ctx, "realpath", p)
}

// realPath runs readlink -e on the node; op names the operation in errors.
// A path that does not exist is fs.ErrNotExist, from readlink's message.
func (n *Node) realPath(ctx context.Context, op, p string) (string, error) {
	if err := checkNodePath(op, p); err != nil {
		return "", err
	}
	out, err := n.output(ctx, op, p, "readlink", "-e", "-v", "--", p)
	if err != nil {
		return "", err
	}
	real := strings.TrimSuffix(string(out), "\n")
	if !strings.HasPrefix(real, "/") {
		return "", &fs.PathError{Op: op, Path: p, Err: fmt.Errorf("unexpected readlink output %q", out)}
	}
	return real, nil
}
