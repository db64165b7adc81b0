package grader

import "time"

// CheckSpec is one check as a scenario declares it: a name, its points, a
// hint, and exactly one of the typed checks below (a one-of union). Every
// string has already been rendered with the lab's parameters.
type CheckSpec struct {
	// Name identifies the check in reports ("snapshot-saved").
	Name string `json:"name" yaml:"name"`
	// Points the check is worth; 1 when zero.
	Points int `json:"points,omitempty" yaml:"points,omitempty"`
	// Hint is shown when the check does not pass.
	Hint string `json:"hint,omitempty" yaml:"hint,omitempty"`

	SnapshotFile     *SnapshotFileCheck     `json:"snapshotFile,omitempty" yaml:"snapshotFile,omitempty"`
	SnapshotContents *SnapshotContentsCheck `json:"snapshotContents,omitempty" yaml:"snapshotContents,omitempty"`
	RestoredDataDir  *RestoredDataDirCheck  `json:"restoredDataDir,omitempty" yaml:"restoredDataDir,omitempty"`
	EtcdDataVolume   *EtcdDataVolumeCheck   `json:"etcdDataVolume,omitempty" yaml:"etcdDataVolume,omitempty"`
	ManifestPresent  *ManifestPresentCheck  `json:"manifestPresent,omitempty" yaml:"manifestPresent,omitempty"`
	ManifestArg      *ManifestArgCheck      `json:"manifestArg,omitempty" yaml:"manifestArg,omitempty"`
	EtcdServing      *EtcdServingCheck      `json:"etcdServing,omitempty" yaml:"etcdServing,omitempty"`
	APIServerReady   *APIServerReadyCheck   `json:"apiServerReady,omitempty" yaml:"apiServerReady,omitempty"`
	Objects          *ObjectsCheck          `json:"objects,omitempty" yaml:"objects,omitempty"`
}

// SnapshotFileCheck: the file at Path on the node exists, is a regular,
// non-empty file made by `snapshot save` (sha256 trailer matches, bbolt
// consistency check passes); evidence shows revision, total keys, size
// and storage version as `etcdutl snapshot status` reports them.
type SnapshotFileCheck struct {
	Path string `json:"path" yaml:"path"`
}

// SnapshotContentsCheck: the snapshot at Path holds every object in
// Present with its exact data, and none of Absent (objects created after
// the backup point).
type SnapshotContentsCheck struct {
	Path    string      `json:"path" yaml:"path"`
	Present []ObjectRef `json:"present,omitempty" yaml:"present,omitempty"`
	Absent  []ObjectRef `json:"absent,omitempty" yaml:"absent,omitempty"`
}

// RestoredDataDirCheck: Path on the node is a restored etcd data directory
// (member/snap/db and member/wal), is not Original (default
// /var/lib/etcd), and its key space at the snapshot's revision hashes the
// same as the snapshot at Snapshot.
type RestoredDataDirCheck struct {
	Path     string `json:"path" yaml:"path"`
	Snapshot string `json:"snapshot" yaml:"snapshot"`
	Original string `json:"original,omitempty" yaml:"original,omitempty"`
}

// EtcdDataVolumeCheck: in the etcd static pod manifest at Manifest
// (default /etc/kubernetes/manifests/etcd.yaml), the volume mounted at
// etcd's --data-dir is a hostPath to DataDir. Judged by meaning: the
// mount's hostPath, not the text of --data-dir.
type EtcdDataVolumeCheck struct {
	Manifest string `json:"manifest,omitempty" yaml:"manifest,omitempty"`
	DataDir  string `json:"dataDir" yaml:"dataDir"`
}

// ManifestPresentCheck: a static pod manifest is at Path and parses as a
// Pod (kube-apiserver.yaml is back after the restore).
type ManifestPresentCheck struct {
	Path string `json:"path" yaml:"path"`
}

// ManifestArgCheck: in the static pod manifest at Path, the first
// container's command or args set --Flag to Want.
type ManifestArgCheck struct {
	Path string `json:"path" yaml:"path"`
	Flag string `json:"flag" yaml:"flag"`
	Want string `json:"want" yaml:"want"`
}

// EtcdServingCheck: etcd answers health over TLS at Endpoint (default
// https://127.0.0.1:2379) with the cluster's certificates, and when
// DataDir is set the member serving is the one restored there (its
// revision and contents are consistent with that directory). It polls
// for up to Timeout (default 30s): etcd restarts when its manifest changes.
type EtcdServingCheck struct {
	Endpoint string   `json:"endpoint,omitempty" yaml:"endpoint,omitempty"`
	DataDir  string   `json:"dataDir,omitempty" yaml:"dataDir,omitempty"`
	Timeout  Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
}

// APIServerReadyCheck: the API server's /readyz answers ok, polled for up
// to Timeout (default 90s) since a restored cluster takes a while.
type APIServerReadyCheck struct {
	Timeout Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
	// Manifest is the API server's static pod manifest on the node
	// (default /etc/kubernetes/manifests/kube-apiserver.yaml). While the
	// API server does not answer and this file is not there, nothing will
	// start it, so the check fails at once instead of polling on.
	Manifest string `json:"manifest,omitempty" yaml:"manifest,omitempty"`
}

// ObjectsCheck: the API server shows every object in Present with its
// exact data and none of Absent, both as `kubectl get` sees it (a LIST in
// the object's namespace, which the API server answers from its watch
// cache) and by a GET by name (which reads etcd). Where the two views
// disagree the check fails: the API server's cache predates a restore.
type ObjectsCheck struct {
	Present []ObjectRef `json:"present,omitempty" yaml:"present,omitempty"`
	Absent  []ObjectRef `json:"absent,omitempty" yaml:"absent,omitempty"`
}

// ObjectRef names a Kubernetes object of any built-in kind and, for some
// kinds, what it must hold: a ConfigMap's or Secret's exact data (Secret
// values in plain text), a Deployment's image, a Service's port. Other
// kinds are checked for existence only.
type ObjectRef struct {
	// APIVersion is the kind's group and version ("apps/v1"); it may be
	// left out for Namespace, ConfigMap, Secret, Service (v1) and
	// Deployment (apps/v1).
	APIVersion string `json:"apiVersion,omitempty" yaml:"apiVersion,omitempty"`
	// Kind is a built-in kind: Namespace, ConfigMap, Secret, Service,
	// Deployment, NetworkPolicy, ...
	Kind string `json:"kind" yaml:"kind"`
	// Namespace is required for a namespaced kind and empty for a
	// cluster-scoped one.
	Namespace string            `json:"namespace,omitempty" yaml:"namespace,omitempty"`
	Name      string            `json:"name" yaml:"name"`
	Data      map[string]string `json:"data,omitempty" yaml:"data,omitempty"`
	// Image, for a Deployment, is its first container's image.
	Image string `json:"image,omitempty" yaml:"image,omitempty"`
	// Port, for a Service, is a port its spec.ports must list.
	Port int32 `json:"port,omitempty" yaml:"port,omitempty"`
}

// Duration is a time.Duration written as "90s" in YAML and JSON.
type Duration struct{ time.Duration }
