package grader

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
)

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
