package grader

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	layout "github.com/ckat/ckat/internal/kubeadm"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/labs/local/kubeadm"
)

const restoredDataDir = "/var/lib/etcd-from-backup"

func TestEtcdDataVolumeCheck(t *testing.T) {
	tests := []struct {
		file    string
		status  Status
		message string // substring of the result's message
		got     string // the evidence's resolved host path
	}{
		{"valid-hostpath-only.yaml", StatusPass, "is on host path /var/lib/etcd-from-backup through volume etcd-data", restoredDataDir},
		{"valid-all-three.yaml", StatusPass, "--data-dir /var/lib/etcd-from-backup is on host path", restoredDataDir},
		{"valid-subdir.yaml", StatusPass, "--data-dir /data/etcd-from-backup is on host path /var/lib/etcd-from-backup", restoredDataDir},
		{"valid-trailing-slashes.yaml", StatusPass, "is on host path /var/lib/etcd-from-backup", restoredDataDir},
		{"valid-separate-arg.yaml", StatusPass, "is on host path /var/lib/etcd-from-backup", restoredDataDir},
		{"invalid-unchanged.yaml", StatusFail, "etcd still uses the original data directory /var/lib/etcd on the host", "/var/lib/etcd"},
		{"invalid-only-data-dir.yaml", StatusFail, "only --data-dir changed: /var/lib/etcd-from-backup is outside every volumeMount (volume etcd-data is still mounted at /var/lib/etcd), so etcd writes to the container's own filesystem and starts empty", "none: the container's own filesystem"},
		{"invalid-mountpath-left.yaml", StatusFail, "the hostPath and --data-dir changed but the mountPath did not: volume etcd-data (hostPath /var/lib/etcd-from-backup) is mounted at /var/lib/etcd, and --data-dir /var/lib/etcd-from-backup is outside every volumeMount, so etcd writes to the container's own filesystem and starts empty", "none: the container's own filesystem"},
		{"invalid-mountpath-only.yaml", StatusFail, "the mountPath changed without --data-dir: volume etcd-data is mounted at /var/lib/etcd-from-backup but --data-dir is still /var/lib/etcd", "none: the container's own filesystem"},
		{"invalid-wrong-volume.yaml", StatusFail, "the hostPath /var/lib/etcd-from-backup is set on the wrong volume: etcd-certs (mounted at /etc/kubernetes/pki/etcd)", "/var/lib/etcd"},
		{"invalid-snapshot-file.yaml", StatusFail, "resolves to host path /opt/etcd-backup.db, a file (the snapshot?)", "/opt/etcd-backup.db"},
		{"invalid-emptydir.yaml", StatusFail, "volume etcd-data, mounted at etcd's --data-dir /var/lib/etcd, is an emptyDir, not a hostPath", ""},
		{"invalid-other-dir.yaml", StatusFail, "resolves to host path /var/lib/etcd-backup, not /var/lib/etcd-from-backup", "/var/lib/etcd-backup"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata/manifests/etcd", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			node := newHostDirNode(t)
			node.writeNodeFile(t, layout.EtcdManifest, data)
			check := &EtcdDataVolumeCheck{DataDir: restoredDataDir + "/"}
			r := check.Run(context.Background(), Target{Node: node})
			if r.Status != tt.status || !strings.Contains(r.Message, tt.message) {
				t.Fatalf("Run = %s %q, want %s containing %q", r.Status, r.Message, tt.status, tt.message)
			}
			if tt.got == "" {
				return
			}
			last := r.Evidence[len(r.Evidence)-1]
			if last.Field != "host path of etcd's data" || last.Want != restoredDataDir || last.Got != tt.got {
				t.Errorf("last evidence = %+v, want host path of etcd's data: want %s got %s", last, restoredDataDir, tt.got)
			}
		})
	}
	files, _ := filepath.Glob("testdata/manifests/etcd/*.yaml")
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s has no case in the table", f)
		}
	}
}

// A snapshot file's path without a .db suffix is still recognised as a file
// by looking at the node.
func TestEtcdDataVolumeCheckHostPathIsAFile(t *testing.T) {
	data, err := os.ReadFile("testdata/manifests/etcd/invalid-snapshot-file.yaml")
	if err != nil {
		t.Fatal(err)
	}
	node := newHostDirNode(t)
	node.writeNodeFile(t, layout.EtcdManifest, []byte(strings.ReplaceAll(string(data), "/opt/etcd-backup.db", "/opt/backup")))
	node.writeNodeFile(t, "/opt/backup", []byte("snapshot bytes"))
	r := (&EtcdDataVolumeCheck{DataDir: restoredDataDir}).Run(context.Background(), Target{Node: node})
	if r.Status != StatusFail || !strings.Contains(r.Message, "host path /opt/backup, a file (the snapshot?)") {
		t.Errorf("Run = %s %q, want a fail naming /opt/backup as a file", r.Status, r.Message)
	}
}

func TestEtcdDataVolumeCheckUnreadableManifest(t *testing.T) {
	tests := []struct {
		name    string
		write   func(n hostDirNode)
		status  Status
		message string
	}{
		{"missing", func(hostDirNode) {}, StatusFail, "etcd's manifest is missing: /etc/kubernetes/manifests/etcd.yaml does not exist"},
		{"broken", func(n hostDirNode) {
			n.writeNodeFile(t, layout.EtcdManifest, []byte("apiVersion: v1\nkind: Pod\nspec:\n\tcontainers: []\n"))
		}, StatusFail, "etcd's manifest does not parse as a Pod, so the kubelet will not run it: /etc/kubernetes/manifests/etcd.yaml: line 4: invalid YAML: a tab"},
		// The kubelet drops `hostpath` (field names are case-sensitive)
		// and makes the volume an emptyDir: etcd runs on an empty
		// directory. (Until the kubelet's rules were mirrored, any unknown
		// field failed as "not a clean Pod manifest".)
		{"unknown field", func(n hostDirNode) {
			n.writeNodeFile(t, layout.EtcdManifest, []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: etcd}\nspec:\n  containers:\n  - {name: etcd, image: etcd, command: [etcd, --data-dir=/var/lib/etcd], volumeMounts: [{name: etcd-data, mountPath: /var/lib/etcd}]}\n  volumes:\n  - name: etcd-data\n    hostpath: {path: /var/lib/etcd-restored}\n"))
		}, StatusFail, `volume etcd-data, mounted at etcd's --data-dir /var/lib/etcd, is an emptyDir, not a hostPath: etcd's data would not be the restored directory /var/lib/etcd-from-backup and would not outlive the pod; the kubelet ignores line 9: unknown field "spec.volumes[0].hostpath" (field names are case-sensitive)`},
		// The kubelet keeps the last of duplicate keys: here an empty
		// container list, which it refuses. (Until the kubelet's rules
		// were mirrored, the duplicate itself failed.)
		{"duplicate key", func(n hostDirNode) {
			n.writeNodeFile(t, layout.EtcdManifest, []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: etcd}\nspec:\n  containers:\n  - {name: etcd, image: etcd}\n  containers: []\n"))
		}, StatusFail, `etcd's manifest does not parse as a Pod, so the kubelet will not run it: /etc/kubernetes/manifests/etcd.yaml: line 7: spec.containers is empty`},
		{"unreadable", func(n hostDirNode) {
			n.writeNodeFile(t, layout.EtcdManifest, []byte("kind: Pod\n"))
		}, StatusError, "could not read /etc/kubernetes/manifests/etcd.yaml: open /etc/kubernetes/manifests/etcd.yaml: permission denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			node := newHostDirNode(t)
			tt.write(node)
			var target labs.Node = node
			if tt.name == "unreadable" {
				// root reads any file here, so the node refuses as a node
				// reached without the permission would.
				target = deniedNode{node}
			}
			r := (&EtcdDataVolumeCheck{DataDir: restoredDataDir}).Run(context.Background(), Target{Node: target})
			if r.Status != tt.status || !strings.Contains(r.Message, tt.message) {
				t.Errorf("Run = %s %q, want %s containing %q", r.Status, r.Message, tt.status, tt.message)
			}
		})
	}
}

// The check judges the manifest the lab's kubeadm files really hold: as
// written it fails, and after the usual edit (the etcd-data hostPath) it
// passes.
func TestEtcdDataVolumeCheckOnKubeadmFiles(t *testing.T) {
	node := newHostDirNode(t)
	if err := kubeadm.Generate(node.root, kubeadm.Config{NodeIP: "172.30.1.10"}); err != nil {
		t.Fatal(err)
	}
	check := &EtcdDataVolumeCheck{DataDir: restoredDataDir}
	r := check.Run(context.Background(), Target{Node: node})
	if r.Status != StatusFail || !strings.Contains(r.Message, "etcd still uses the original data directory /var/lib/etcd") {
		t.Fatalf("fresh lab: Run = %s %q, want a fail", r.Status, r.Message)
	}
	data, err := node.ReadFile(context.Background(), layout.EtcdManifest)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(data), "      path: /var/lib/etcd\n", "      path: "+restoredDataDir+"\n", 1)
	if edited == string(data) {
		t.Fatal("kubeadm's etcd.yaml has no etcd-data hostPath line to edit")
	}
	node.writeNodeFile(t, layout.EtcdManifest, []byte(edited))
	if r := check.Run(context.Background(), Target{Node: node}); r.Status != StatusPass {
		t.Errorf("after the edit: Run = %s %q, want a pass", r.Status, r.Message)
	}
	if r := (&ManifestPresentCheck{Path: layout.APIServerManifest}).Run(context.Background(), Target{Node: node}); r.Status != StatusPass {
		t.Errorf("kube-apiserver.yaml as kubeadm writes it: %s %q, want a pass", r.Status, r.Message)
	}
}

// TestEtcdDataVolumeCheckMountPathLeft: with --data-dir and the hostPath
// changed and the mountPath left, the evidence shows all three paths and
// the hint says to change the mountPath.
func TestEtcdDataVolumeCheckMountPathLeft(t *testing.T) {
	node := newHostDirNode(t)
	node.writeNodeFile(t, layout.EtcdManifest, readTestdata(t, "manifests/etcd/invalid-mountpath-left.yaml"))
	r := (&EtcdDataVolumeCheck{DataDir: restoredDataDir}).Run(context.Background(), Target{Node: node})
	got := map[string]string{}
	for _, e := range r.Evidence {
		got[e.Field] = e.Got
	}
	want := map[string]string{
		"spec.containers[etcd] --data-dir":  restoredDataDir,
		"volumeMounts[etcd-data].mountPath": "/var/lib/etcd",
		"volumes[etcd-data].hostPath.path":  restoredDataDir,
		"host path of etcd's data":          "none: the container's own filesystem",
	}
	for f, w := range want {
		if got[f] != w {
			t.Errorf("evidence %s = %q, want %q (all: %+v)", f, got[f], w, r.Evidence)
		}
	}
	if wantHint := "change the mountPath /var/lib/etcd to /var/lib/etcd-from-backup as well"; r.Status != StatusFail || !strings.Contains(r.Hint, wantHint) {
		t.Errorf("Run = %s, hint %q; want fail with a hint containing %q", r.Status, r.Hint, wantHint)
	}
}

// TestEtcdDataVolumeCheckSymlink: /var/lib/etcd replaced by a symlink to
// the restored directory is followed, as the kubelet's hostPath is; the
// evidence names the symlink and its target.
func TestEtcdDataVolumeCheckSymlink(t *testing.T) {
	tests := []struct {
		target  string // the symlink's target, relative to /var/lib
		status  Status
		message string
		got     string
	}{
		{"etcd-from-backup", StatusPass, "and /var/lib/etcd is a symlink to /var/lib/etcd-from-backup, which the kubelet's hostPath follows", "/var/lib/etcd, a symlink to /var/lib/etcd-from-backup"},
		{"etcd-old", StatusFail, "etcd's data dir resolves to host path /var/lib/etcd, a symlink to /var/lib/etcd-old, not the restored data directory /var/lib/etcd-from-backup", "/var/lib/etcd, a symlink to /var/lib/etcd-old"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			node := newHostDirNode(t)
			node.writeNodeFile(t, layout.EtcdManifest, readTestdata(t, "manifests/etcd/invalid-unchanged.yaml"))
			node.writeNodeFile(t, restoredDataDir+"/member/snap/db", []byte("restored"))
			node.writeNodeFile(t, "/var/lib/etcd-old/member/snap/db", []byte("old"))
			if err := os.Symlink(tt.target, node.host("/var/lib/etcd")); err != nil {
				t.Fatal(err)
			}
			r := (&EtcdDataVolumeCheck{DataDir: restoredDataDir}).Run(context.Background(), Target{Node: node})
			if r.Status != tt.status || !strings.Contains(r.Message, tt.message) {
				t.Fatalf("Run = %s %q, want %s containing %q", r.Status, r.Message, tt.status, tt.message)
			}
			if last := r.Evidence[len(r.Evidence)-1]; last.Field != "host path of etcd's data" || last.Got != tt.got {
				t.Errorf("last evidence = %+v, want got %q", last, tt.got)
			}
		})
	}
}
