package grader

import (
	"errors"
	"strings"
	"time"
)

// CheckSpec is one check as a scenario declares it: a name, its points, a
// hint, and exactly one of the typed checks below (a one-of union; the
// types are listed in checkTypes). Every string has already been rendered
// with the lab's parameters.
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
	EtcdServers      *EtcdServersCheck      `json:"etcdServers,omitempty" yaml:"etcdServers,omitempty"`
	EtcdServing      *EtcdServingCheck      `json:"etcdServing,omitempty" yaml:"etcdServing,omitempty"`
	APIServerReady   *APIServerReadyCheck   `json:"apiServerReady,omitempty" yaml:"apiServerReady,omitempty"`
	Objects          *ObjectsCheck          `json:"objects,omitempty" yaml:"objects,omitempty"`
}

// SnapshotFileCheck: the file at path on the node exists, is a regular,
// non-empty file made by `snapshot save` (sha256 trailer matches, bbolt
// consistency check passes); evidence shows revision, total keys, size
// and storage version as `etcdutl snapshot status` reports them.
type SnapshotFileCheck struct {
	// Path is the snapshot file's absolute path on the node.
	Path string `json:"path" yaml:"path"`
}

func (c *SnapshotFileCheck) validate(p *fieldProblems) {
	p.nodePath("path", c.Path, true)
}

// SnapshotContentsCheck: the snapshot at path holds every object in
// present with its exact data, and none of absent (objects created after
// the backup point).
type SnapshotContentsCheck struct {
	// Path is the snapshot file's absolute path on the node.
	Path string `json:"path" yaml:"path"`
	// Present are objects the snapshot must hold, with their data.
	Present []ObjectRef `json:"present,omitempty" yaml:"present,omitempty"`
	// Absent are objects the snapshot must not hold.
	Absent []ObjectRef `json:"absent,omitempty" yaml:"absent,omitempty"`
}

func (c *SnapshotContentsCheck) validate(p *fieldProblems) {
	p.nodePath("path", c.Path, true)
	validateRefs(p, c.Present, c.Absent, false)
}

// RestoredDataDirCheck: path on the node is a restored etcd data directory
// (member/snap/db and member/wal), is not original, and its key space at
// the snapshot's revision hashes the same as the snapshot at snapshot.
type RestoredDataDirCheck struct {
	// Path is the restored data directory's absolute path on the node.
	Path string `json:"path" yaml:"path"`
	// Snapshot is the absolute path on the node of the snapshot it was
	// restored from.
	Snapshot string `json:"snapshot" yaml:"snapshot"`
	// Original is the data directory the restore must not reuse; default
	// /var/lib/etcd.
	Original string `json:"original,omitempty" yaml:"original,omitempty"`
}

func (c *RestoredDataDirCheck) validate(p *fieldProblems) {
	p.nodePath("path", c.Path, true)
	p.nodePath("snapshot", c.Snapshot, true)
	p.nodePath("original", c.Original, false)
}

// EtcdDataVolumeCheck: in the etcd static pod manifest, the volume mounted
// at etcd's --data-dir is a hostPath to dataDir. Judged by meaning: the
// mount's hostPath, not the text of --data-dir; a symlink on the node at
// the hostPath (/var/lib/etcd pointing at dataDir) is followed, as the
// kubelet's hostPath volume follows it.
type EtcdDataVolumeCheck struct {
	// Manifest is etcd's static pod manifest on the node; default
	// /etc/kubernetes/manifests/etcd.yaml.
	Manifest string `json:"manifest,omitempty" yaml:"manifest,omitempty"`
	// DataDir is the host directory etcd's data volume must point to.
	DataDir string `json:"dataDir" yaml:"dataDir"`
}

func (c *EtcdDataVolumeCheck) validate(p *fieldProblems) {
	p.nodePath("manifest", c.Manifest, false)
	p.nodePath("dataDir", c.DataDir, true)
}

// ManifestPresentCheck: the static pod of the manifest at path runs: a
// file in path's directory defines it and parses as a Pod, and no other
// file there defines the same pod (kube-apiserver.yaml is back after the
// restore). The pod is found by its name, as the kubelet finds it: path's
// base name without extension, as kubeadm names the files. Put back as
// kube-apiserver-new.yaml it runs and passes; a copy outside the
// directory does not count.
type ManifestPresentCheck struct {
	// Path is the manifest's absolute path on the node.
	Path string `json:"path" yaml:"path"`
}

func (c *ManifestPresentCheck) validate(p *fieldProblems) {
	p.nodePath("path", c.Path, true)
}

// ManifestArgCheck: in the static pod manifest at path, the first
// container's command or args set --flag to want.
type ManifestArgCheck struct {
	// Path is the manifest's absolute path on the node.
	Path string `json:"path" yaml:"path"`
	// Flag is the flag's name, with or without its leading dashes.
	Flag string `json:"flag" yaml:"flag"`
	// Want is the value the flag must have.
	Want string `json:"want" yaml:"want"`
}

func (c *ManifestArgCheck) validate(p *fieldProblems) {
	p.nodePath("path", c.Path, true)
	p.require("flag", strings.Trim(c.Flag, "-") != "")
	p.require("want", c.Want != "")
}

// EtcdServersCheck: kube-apiserver's --etcd-servers reaches etcd's client
// port, judged by effect: each URL in its comma-separated list has the
// scheme, host and port of a listener in etcd's --listen-client-urls
// (localhost and 127.0.0.1 are one host), so https://127.0.0.1:2379,
// https://localhost:2379, https://NODE-IP:2379 and the whole
// --listen-client-urls value are all right, and the peer port, http://
// against a TLS listener or another port are not.
type EtcdServersCheck struct {
	// Manifest is kube-apiserver's static pod manifest on the node;
	// default /etc/kubernetes/manifests/kube-apiserver.yaml.
	Manifest string `json:"manifest,omitempty" yaml:"manifest,omitempty"`
	// EtcdManifest is etcd's static pod manifest on the node, whose
	// --listen-client-urls say where etcd serves clients; default
	// /etc/kubernetes/manifests/etcd.yaml.
	EtcdManifest string `json:"etcdManifest,omitempty" yaml:"etcdManifest,omitempty"`
}

func (c *EtcdServersCheck) validate(p *fieldProblems) {
	p.nodePath("manifest", c.Manifest, false)
	p.nodePath("etcdManifest", c.EtcdManifest, false)
}

// EtcdServingCheck: the etcd at endpoint answers health over TLS with the
// cluster's certificates, and when dataDir is set the member serving is
// the one restored there (its revision and contents are consistent with
// that directory). It polls for up to timeout: etcd restarts when its
// manifest changes.
type EtcdServingCheck struct {
	// Endpoint is etcd's client URL; default https://127.0.0.1:2379.
	Endpoint string `json:"endpoint,omitempty" yaml:"endpoint,omitempty"`
	// DataDir, when set, is the data directory on the node the serving
	// member must have been restored to.
	DataDir string `json:"dataDir,omitempty" yaml:"dataDir,omitempty"`
	// Timeout is how long to poll for a healthy etcd; default 30s.
	Timeout Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
}

func (c *EtcdServingCheck) validate(p *fieldProblems) {
	p.nodePath("dataDir", c.DataDir, false)
}

// APIServerReadyCheck: the API server's /readyz answers ok, polled for up
// to timeout since a restored cluster takes a while.
type APIServerReadyCheck struct {
	// Timeout is how long to poll /readyz; default 90s.
	Timeout Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
	// Manifest is the API server's static pod manifest on the node
	// (default /etc/kubernetes/manifests/kube-apiserver.yaml). While the
	// API server does not answer and this file is not there, nothing will
	// start it, so the check fails at once instead of polling on.
	Manifest string `json:"manifest,omitempty" yaml:"manifest,omitempty"`
}

func (c *APIServerReadyCheck) validate(p *fieldProblems) {
	p.nodePath("manifest", c.Manifest, false)
	if c.Timeout.Duration < 0 {
		p.addf("timeout", "is %s; it must not be negative", c.Timeout)
	}
}

// ObjectsCheck: the API server shows every object in Present with its
// exact data and none of Absent, both as `kubectl get` sees it (a LIST in
// the object's namespace, which the API server answers from its watch
// cache) and by a GET by name (which reads etcd). Where the two views
// disagree the check fails: the API server's cache predates a restore.
type ObjectsCheck struct {
	// Present are objects the API server must serve, with their data.
	Present []ObjectRef `json:"present,omitempty" yaml:"present,omitempty"`
	// Absent are objects the API server must answer NotFound for.
	Absent []ObjectRef `json:"absent,omitempty" yaml:"absent,omitempty"`
	// Timeout, when set, is how long the check looks again while it
	// fails: a controller catching up after a fix (a Deployment's status
	// once kube-controller-manager runs again, a Pod's node once
	// kube-scheduler does), or the API server still starting. It does
	// not wait on what no controller mends: a cache older than etcd, or
	// only what the learner sets being wrong (a spec.replicas, an image,
	// data). Default: one look.
	Timeout Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
}

func (c *ObjectsCheck) validate(p *fieldProblems) {
	if len(c.Present)+len(c.Absent) == 0 {
		p.errs = append(p.errs, errors.New(p.check+" needs at least one object in present or absent"))
	}
	if c.Timeout.Duration < 0 {
		p.addf("timeout", "is %s; it must not be negative", c.Timeout)
	}
	validateRefs(p, c.Present, c.Absent, true)
}

// ObjectRef names a Kubernetes object of any built-in kind and, for some
// kinds, what it must hold: a ConfigMap's or Secret's exact data (Secret
// values in plain text), a Deployment's image and replicas, a Service's
// port, a Pod's node. Other kinds are checked for existence only.
type ObjectRef struct {
	// APIVersion is the kind's group and version ("apps/v1"); it may be
	// left out for Namespace, ConfigMap, Secret, Service, Pod, Node (v1)
	// and Deployment (apps/v1).
	APIVersion string `json:"apiVersion,omitempty" yaml:"apiVersion,omitempty"`
	// Kind is a built-in kind: Namespace, ConfigMap, Secret, Service,
	// Deployment, Pod, Node, NetworkPolicy, ...
	Kind string `json:"kind" yaml:"kind"`
	// Namespace is required for a namespaced kind and empty for a
	// cluster-scoped one.
	Namespace string `json:"namespace,omitempty" yaml:"namespace,omitempty"`
	// Name is the object's name.
	Name string `json:"name" yaml:"name"`
	// Data, for a ConfigMap or Secret, is the exact data it must hold
	// (Secret values in plain text).
	Data map[string]string `json:"data,omitempty" yaml:"data,omitempty"`
	// Image, for a Deployment, is its first container's image.
	Image string `json:"image,omitempty" yaml:"image,omitempty"`
	// Port, for a Service, is a port its spec.ports must list.
	Port int32 `json:"port,omitempty" yaml:"port,omitempty"`
	// Replicas, for a Deployment in an objects check, is the count it
	// must show as `kubectl get deployment` does: spec.replicas (the total
	// under READY) and status.updatedReplicas (UP-TO-DATE), which only
	// the Deployment controller of a running kube-controller-manager
	// sets. Ready Pods are not counted: on a node with kubeadm's
	// control-plane taint and no worker they stay Pending.
	Replicas *int32 `json:"replicas,omitempty" yaml:"replicas,omitempty"`
	// NodeName, for a Pod in an objects check, is the node it must be
	// scheduled to: its spec.nodeName, the NODE column of `kubectl get
	// pod -o wide`.
	NodeName string `json:"nodeName,omitempty" yaml:"nodeName,omitempty"`
	// Taints, for a Node in an objects check, are the taints it must
	// carry, each as `kubectl taint` spells it (KEY[=VALUE]:EFFECT), in any
	// order; [] means none. The taints kube-controller-manager sets from
	// the node's conditions (not-ready, unreachable, pressure) are not
	// compared.
	Taints []string `json:"taints,omitempty" yaml:"taints,omitempty"`
}

// Duration is a time.Duration written as "90s" in YAML and JSON.
type Duration struct{ time.Duration }
