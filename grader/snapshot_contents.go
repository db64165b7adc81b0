package grader

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ckat/ckat/grader/internal/etcddata"
)

// Run checks that the snapshot at Path holds every object in Present with
// exactly its data, and none of Absent. It reads the snapshot's key space
// directly: the live value of each key is its newest non-tombstone revision
// in bucket "key", decoded with client-go's scheme.
func (c *SnapshotContentsCheck) Run(ctx context.Context, t Target) Result {
	var v verdict
	hostPath, release, res := locateSnapshot(ctx, t, c.Path, &v)
	if res != nil {
		return *res
	}
	defer release()
	st, err := etcddata.ReadSnapshot(hostPath)
	if p, ok := etcddata.AsProblem(err); ok && p.Kind == etcddata.NoTrailer {
		// The contents can still be judged; the file check reports the
		// missing trailer.
		err = nil
	}
	if err != nil {
		return readSnapshotResult(t, c.Path, err, &v)
	}
	dbLen := st.FileSize
	if st.HasTrailer {
		dbLen -= etcddata.TrailerSize
	}
	db, err := etcddata.Open(hostPath, dbLen)
	if err != nil {
		return readSnapshotResult(t, c.Path, err, &v)
	}
	defer db.Close()

	keys := map[string]bool{}
	refKeys := map[string]string{} // ObjectRef.String() to its etcd key
	for _, r := range append(append([]ObjectRef(nil), c.Present...), c.Absent...) {
		k, err := refStorageKey(r)
		if err != nil {
			return v.err("check %s: %v", refName(r), err)
		}
		keys[k], refKeys[r.String()] = true, k
	}
	refKey := func(r ObjectRef) string { return refKeys[r.String()] }
	live, err := db.Live(0, func(k string) bool { return keys[k] })
	if err != nil {
		return readSnapshotResult(t, c.Path, err, &v)
	}

	src := nodeSource(t, c.Path)
	var problems []string
	for _, r := range c.Present {
		kv, ok := live[refKey(r)]
		if !ok {
			v.add(src, refKey(r), "present", "missing")
			problems = append(problems, fmt.Sprintf("%s is not in the snapshot", refName(r)))
			continue
		}
		obj, err := etcddata.DecodeObject(kv.Value)
		if err != nil {
			v.add(src, refKey(r), "a "+r.Kind, err.Error())
			problems = append(problems, fmt.Sprintf("%s cannot be decoded: %v", refName(r), err))
			continue
		}
		problems = append(problems, compareObject(src, refKey(r), r, obj, &v)...)
	}
	var late []string
	for _, r := range c.Absent {
		if _, ok := live[refKey(r)]; ok {
			v.add(src, refKey(r), "absent", "present")
			late = append(late, refName(r))
			continue
		}
		v.add(src, refKey(r), "absent", "absent")
	}
	if len(late) > 0 {
		problems = append(problems, fmt.Sprintf("this snapshot was taken after the incident: it holds %s created after the backup point", strings.Join(late, ", ")))
	}
	if len(problems) > 0 {
		return v.fail("%s", strings.Join(problems, "; "))
	}
	return v.pass("the snapshot at revision %d holds the %d expected objects and none of the %d created later", st.Revision, len(c.Present), len(c.Absent))
}

// refStorageKey is where the API server keeps r in etcd.
func refStorageKey(r ObjectRef) (string, error) {
	gvk, err := r.GVK()
	if err != nil {
		return "", err
	}
	return etcddata.StorageKey(gvk, r.Namespace, r.Name)
}

// compareObject adds evidence comparing obj with what r wants and returns
// the differences.
func compareObject(src, key string, r ObjectRef, obj *etcddata.Object, v *verdict) []string {
	if gvk, _ := r.GVK(); obj.GroupKind != gvk.GroupKind() {
		v.add(src, key, r.Kind, obj.GroupKind.Kind)
		return []string{fmt.Sprintf("%s holds a %s", key, obj.GroupKind.Kind)}
	}
	var out []string
	if r.Port != 0 {
		v.add(src, key+" spec.ports[*].port", fmt.Sprint(r.Port), showPorts(obj.Ports))
		if !slices.Contains(obj.Ports, int64(r.Port)) {
			out = append(out, fmt.Sprintf("%s has no port %d (ports: %s)", refName(r), r.Port, showPorts(obj.Ports)))
		}
	}
	if r.Image != "" {
		v.add(src, key+" image", r.Image, obj.Image)
		if obj.Image != r.Image {
			out = append(out, fmt.Sprintf("%s has image %q, want %q", refName(r), obj.Image, r.Image))
		}
	}
	if len(r.Data) == 0 {
		if r.Image == "" && r.Port == 0 {
			v.add(src, key, "present", "present")
		}
		return out
	}
	show := func(s string) string { return s }
	if r.Kind == "Secret" {
		show = maskSecretValue
	}
	var diff []string
	for _, k := range etcddata.SortedKeys(r.Data) {
		got, ok := obj.Data[k]
		gotShown := show(got)
		if !ok {
			gotShown = "(missing)"
		}
		v.add(src, key+" data."+k, show(r.Data[k]), gotShown)
		if !ok || got != r.Data[k] {
			diff = append(diff, k)
		}
	}
	for _, k := range etcddata.SortedKeys(obj.Data) {
		if _, ok := r.Data[k]; !ok {
			v.add(src, key+" data."+k, "(absent)", show(obj.Data[k]))
			diff = append(diff, k)
		}
	}
	if len(diff) > 0 {
		out = append(out, fmt.Sprintf("%s has different data for %s", refName(r), strings.Join(diff, ", ")))
	}
	return out
}
