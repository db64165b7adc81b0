package grader

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseManifest(t *testing.T) {
	tests := []struct {
		file    string
		line    int    // 0: no line expected
		msg     string // substring of the error; empty for a valid manifest
		volumes int    // for a valid manifest
	}{
		{file: "valid-etcd-kubeadm.yaml", volumes: 2},
		{file: "valid-kube-apiserver.yaml", volumes: 5},
		{file: "invalid-tab.yaml", line: 46, msg: "a tab in the indentation"},
		{file: "invalid-duplicate-key.yaml", line: 36, msg: `mapping key "image" already defined at line 34`},
		{file: "invalid-wrong-type.yaml", line: 79, msg: "spec.hostNetwork: a list where a boolean belongs"},
		{file: "invalid-command-string.yaml", line: 13, msg: "spec.containers.command: a string where a list belongs"},
		{file: "invalid-unknown-field.yaml", line: 36, msg: `unknown field "imagePulPolicy"`},
		{file: "invalid-unknown-volume.yaml", line: 76, msg: `mounts volume "etcd-dta", which spec.volumes does not define`},
		{file: "invalid-kind.yaml", line: 2, msg: `"v1"/"Deployment", want v1/Pod`},
		{file: "invalid-empty.yaml", msg: "the file is empty"},
		{file: "invalid-two-documents.yaml", line: 95, msg: "a second YAML document"},
		{file: "invalid-not-mapping.yaml", line: 1, msg: "not a YAML mapping"},
		{file: "invalid-indentation.yaml", line: 18, msg: "invalid YAML: did not find expected key"},
		{file: "invalid-no-containers.yaml", line: 11, msg: "spec.containers is empty"},
		{file: "invalid-no-name.yaml", line: 3, msg: "metadata.name is missing"},
		{file: "invalid-no-image.yaml", line: 13, msg: "spec.containers[0] (etcd): image is missing"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata/manifests/parse", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			pod, err := ParseManifest(data)
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("ParseManifest: %v", err)
				}
				if len(pod.Spec.Containers) != 1 || len(pod.Spec.Volumes) != tt.volumes {
					t.Fatalf("parsed %d containers and %d volumes, want 1 and %d", len(pod.Spec.Containers), len(pod.Spec.Volumes), tt.volumes)
				}
				return
			}
			var me *ManifestError
			if !errors.As(err, &me) {
				t.Fatalf("ParseManifest error = %v, want a *ManifestError", err)
			}
			if me.Line != tt.line || !strings.Contains(me.Msg, tt.msg) {
				t.Errorf("ParseManifest error = line %d %q, want line %d containing %q", me.Line, me.Msg, tt.line, tt.msg)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
	files, _ := filepath.Glob("testdata/manifests/parse/*.yaml")
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s has no case in the table", f)
		}
	}
}

func TestReadManifestErrors(t *testing.T) {
	node := newHostDirNode(t)
	ctx := context.Background()
	if _, err := ReadManifest(ctx, node, "/etc/kubernetes/manifests/etcd.yaml"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing manifest: err = %v, want fs.ErrNotExist", err)
	}
	node.writeNodeFile(t, "/etc/kubernetes/manifests/etcd.yaml/x", nil)
	_, err := ReadManifest(ctx, node, "/etc/kubernetes/manifests/etcd.yaml")
	if err == nil || !strings.Contains(err.Error(), "/etc/kubernetes/manifests/etcd.yaml: is a directory") {
		t.Errorf("directory: err = %v, want it to say the path is a directory", err)
	}
	node.writeNodeFile(t, "/tmp/bad.yaml", []byte("kind: Pod\nspec: [\n"))
	_, err = ReadManifest(ctx, node, "/tmp/bad.yaml")
	if err == nil || !strings.HasPrefix(err.Error(), "/tmp/bad.yaml: line ") {
		t.Errorf("broken manifest: err = %v, want it to start with the path and line", err)
	}
}
