package node

import (
	"context"
	"io/fs"
)

// RealPath resolves p inside the node's root as the node's own realpath
// would (see resolve): symlinks followed, absolute targets from the node's
// /, never leaving it.
func (v *view) RealPath(_ context.Context, p string) (string, error) {
	if err := v.check(); err != nil {
		return "", err
	}
	r, err := resolve(v.root(), p, true)
	if err != nil {
		return "", &fs.PathError{Op: "realpath", Path: p, Err: err}
	}
	return r, nil
}
