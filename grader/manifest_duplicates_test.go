package grader

import (
	"context"
	"strings"
	"testing"

	"github.com/ckat/ckat/internal/kubeadm"
)

// TestDuplicateEtcdManifest is the learner's attempt `cp etcd.yaml
// etcd.yaml.bak` before editing etcd.yaml: etcd.yaml is right, but the
// kubelet's next re-read of the directory runs etcd.yaml.bak (the last in
// name order), on the old data. The check fails naming both files, with
// the hint to keep backups elsewhere; the spec's hint gives way to it.
func TestDuplicateEtcdManifest(t *testing.T) {
	right := readTestdata(t, "manifests/etcd/valid-hostpath-only.yaml")
	old := readTestdata(t, "manifests/etcd/invalid-unchanged.yaml")
	tests := []struct {
		name    string
		files   map[string][]byte
		status  Status
		message string
		got     string
	}{
		{"a .bak copy of the old manifest", map[string][]byte{kubeadm.EtcdManifest: right, kubeadm.EtcdManifest + ".bak": old}, StatusFail,
			"2 files in /etc/kubernetes/manifests define the static pod kube-system/etcd: etcd.yaml and etcd.yaml.bak. The kubelet keeps one pod per name and at each re-read of the directory (every 20s) the last file in name order wins, so the kubelet runs etcd.yaml.bak's pod, not etcd.yaml's, whatever was edited last; keep only etcd.yaml there",
			"etcd.yaml, etcd.yaml.bak"},
		{"three copies", map[string][]byte{kubeadm.EtcdManifest: right, "/etc/kubernetes/manifests/etcd.orig": old, "/etc/kubernetes/manifests/etcd.yaml~": old}, StatusFail,
			"3 files in /etc/kubernetes/manifests define the static pod kube-system/etcd: etcd.orig and etcd.yaml and etcd.yaml~",
			"etcd.orig, etcd.yaml, etcd.yaml~"},
		{"a copy that is not a valid pod is not a duplicate", map[string][]byte{kubeadm.EtcdManifest: right,
			kubeadm.EtcdManifest + ".bak": []byte(strings.Replace(string(old), "type: DirectoryOrCreate", "type: DirectoryorCreate", 1))}, StatusPass,
			"is on host path /var/lib/etcd-from-backup", restoredDataDir},
		{"the backup kept in a subdirectory", map[string][]byte{kubeadm.EtcdManifest: right, "/etc/kubernetes/manifests/backup/etcd.yaml": old}, StatusPass,
			"is on host path /var/lib/etcd-from-backup", restoredDataDir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			node := newHostDirNode(t)
			for p, data := range tt.files {
				node.writeNodeFile(t, p, data)
			}
			spec := CheckSpec{Name: "etcd-data-volume", Hint: "the spec's hint", EtcdDataVolume: &EtcdDataVolumeCheck{DataDir: restoredDataDir}}
			r := Run(context.Background(), Target{Node: node}, "restore", []CheckSpec{spec})[0]
			if r.Status != tt.status || !strings.Contains(r.Message, tt.message) {
				t.Fatalf("Run = %s %q, want %s containing %q", r.Status, r.Message, tt.status, tt.message)
			}
			last := r.Evidence[len(r.Evidence)-1]
			if last.Got != tt.got {
				t.Errorf("evidence = %+v, want the last row's got %q", r.Evidence, tt.got)
			}
			wantHint := ""
			if tt.status == StatusFail {
				wantHint = duplicateManifestHint
				if last.Source != "/etc/kubernetes/manifests" || last.Want != "etcd.yaml only" {
					t.Errorf("evidence = %+v, want the directory and etcd.yaml only", last)
				}
			}
			if r.Hint != wantHint {
				t.Errorf("hint = %q, want %q", r.Hint, wantHint)
			}
			if wantHint != "" && !strings.Contains(r.Hint, "outside the manifests directory") {
				t.Errorf("hint %q does not say where backups go", r.Hint)
			}
		})
	}
}

// TestDuplicateAPIServerManifestArg: the flag is right in
// kube-apiserver.yaml, but a copy beside it defines the same pod.
func TestDuplicateAPIServerManifestArg(t *testing.T) {
	valid := readTestdata(t, "../../internal/staticpod/testdata/valid-kube-apiserver.yaml")
	node := newHostDirNode(t)
	node.writeNodeFile(t, apiServerManifest, valid)
	node.writeNodeFile(t, "/etc/kubernetes/manifests/kube-apiserver.yaml.orig", valid)
	r := (&ManifestArgCheck{Path: apiServerManifest, Flag: "etcd-servers", Want: "https://127.0.0.1:2379"}).Run(context.Background(), Target{Node: node})
	if r.Status != StatusFail || !strings.Contains(r.Message, "define the static pod kube-system/kube-apiserver: kube-apiserver.yaml and kube-apiserver.yaml.orig") {
		t.Fatalf("Run = %s %q, want a fail naming both files", r.Status, r.Message)
	}
	if r.Hint != duplicateManifestHint {
		t.Errorf("hint = %q", r.Hint)
	}
}
