package node

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"syscall"
	"testing"
)

// testRealPath resolves paths made on a running node, and checks each
// against the node's own realpath.
func testRealPath(t *testing.T, n *testNode) {
	hostOnly := t.TempDir() // exists on the host, not in the node
	n.must(t, `set -e
mkdir -p /var/lib/etcd-real
ln -sfn /var/lib/etcd-real /var/lib/etcd-abs
ln -sfn etcd-real /var/lib/etcd-rel
ln -sfn ../../../../../../../var/lib/etcd-rel /var/lib/etcd-up
ln -sfn /var/lib/etcd-loop /var/lib/etcd-loop
ln -sfn `+hostOnly+` /var/lib/etcd-host`)
	ctx := context.Background()
	for _, p := range []string{"/var/lib/etcd-real", "/var/lib/etcd-abs", "/var/lib/etcd-rel", "/var/lib/etcd-up", "/var/lib/../lib/etcd-abs/"} {
		got, err := n.node.RealPath(ctx, p)
		if err != nil || got != "/var/lib/etcd-real" {
			t.Errorf("RealPath(%s) = %q, %v; want /var/lib/etcd-real", p, got, err)
		}
		if own := strings.TrimSpace(n.must(t, "realpath -e "+p)); own != got {
			t.Errorf("RealPath(%s) = %q, the node's realpath says %q", p, got, own)
		}
	}
	for _, tc := range []struct {
		path string
		err  error
	}{
		{"/var/lib/etcd-missing", fs.ErrNotExist},
		{"/var/lib/etcd-host", fs.ErrNotExist},
		{"/var/lib/etcd-loop", syscall.ELOOP},
	} {
		got, err := n.node.RealPath(ctx, tc.path)
		var pe *fs.PathError
		if !errors.Is(err, tc.err) || !errors.As(err, &pe) || pe.Path != tc.path {
			t.Errorf("RealPath(%s) = %q, %v; want a path error with %v", tc.path, got, err, tc.err)
		}
	}
}
