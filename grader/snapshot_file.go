package grader

import (
	"context"
	"fmt"

	"github.com/ckat/ckat/grader/internal/etcddata"
)

// Run checks that Path on the node is a snapshot made by `snapshot save`:
// a non-empty regular file, a bbolt database that passes its consistency
// check, and a sha256 trailer that matches. The evidence shows what
// `etcdutl snapshot status` reports of it.
func (c *SnapshotFileCheck) Run(ctx context.Context, t Target) Result {
	var v verdict
	hostPath, release, res := locateSnapshot(ctx, t, c.Path, &v)
	if res != nil {
		return *res
	}
	defer release()
	st, err := etcddata.ReadSnapshot(hostPath)
	if st != nil {
		addStatusEvidence(t, c.Path, st, &v)
	}
	if err != nil {
		return readSnapshotResult(t, c.Path, err, &v)
	}
	src := nodeSource(t, c.Path)
	v.add(src, "sha256 trailer", "present and matching", "matches")
	v.add(src, "bbolt check", "passes", "passes")
	return v.pass("%s is an etcd snapshot at revision %d with %d keys", c.Path, st.Revision, st.TotalKey)
}

// addStatusEvidence adds the fields `etcdutl snapshot status` shows.
func addStatusEvidence(t Target, path string, st *etcddata.SnapshotStatus, v *verdict) {
	src := nodeSource(t, path)
	v.add(src, "revision", "", fmt.Sprint(st.Revision))
	v.add(src, "total keys", "", fmt.Sprint(st.TotalKey))
	v.add(src, "total size", "", fmt.Sprint(st.DBSize))
	version := st.Version
	if version == "" {
		version = "none (made by etcd before 3.6)"
	}
	v.add(src, "storage version", "", version)
}
