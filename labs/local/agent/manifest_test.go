package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParsePodValid(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid-*")
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			pod, err := parsePod("/etc/kubernetes/manifests/"+filepath.Base(f), data, "controlplane")
			require.NoError(t, err)
			require.True(t, strings.HasSuffix(pod.Name, "-controlplane"), "static pod name %q gets the node's name", pod.Name)
			require.Equal(t, "controlplane", pod.Spec.NodeName)
			require.Len(t, string(pod.UID), 32)
			require.Equal(t, string(pod.UID), pod.Annotations[annotationConfigHash])
			require.Equal(t, "file", pod.Annotations[annotationConfigSource])
			require.NotEmpty(t, pod.Namespace)
		})
	}
}

func TestParsePodInvalid(t *testing.T) {
	tests := []struct {
		file string
		want []string // substrings of the error, as the kubelet logs it
	}{
		{"invalid-yaml-indent.yaml", []string{"couldn't parse as pod", "error converting YAML to JSON", "yaml: line 9: did not find expected key"}},
		{"invalid-kind.yaml", []string{"couldn't parse as pod", "kind Service, want Pod"}},
		{"invalid-no-kind.yaml", []string{"couldn't parse as pod", "'Kind' is missing"}},
		{"invalid-no-containers.yaml", []string{"invalid pod", "spec.containers: Required value"}},
		{"invalid-missing-volume.yaml", []string{"invalid pod", `volumeMounts[0].name: Not found: "etcd-data"`}},
	}
	files, _ := filepath.Glob("testdata/invalid-*")
	require.Len(t, files, len(tests), "every invalid-* file has a case")
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			require.NoError(t, err)
			path := "/etc/kubernetes/manifests/" + tt.file
			_, err = parsePod(path, data, "controlplane")
			require.Error(t, err)
			require.Contains(t, err.Error(), path)
			for _, w := range tt.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestListManifestsSkipsWhatKubeletSkips(t *testing.T) {
	dir := t.TempDir()
	pod, err := os.ReadFile("testdata/valid-etcd.yaml")
	require.NoError(t, err)
	for _, name := range []string{"etcd.yaml", "b.yml", "c.json", ".hidden.yaml", "etcd.yaml.bak", "notes.txt", "etcd.yaml~"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), pod, 0o644))
	}
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "sub.yaml"), 0o755))
	require.NoError(t, os.Symlink(filepath.Join(dir, "etcd.yaml"), filepath.Join(dir, "link.yaml")))
	list, err := listManifests(dir, "controlplane", nil)
	require.NoError(t, err)
	var names []string
	for _, m := range list {
		names = append(names, m.File)
	}
	require.Equal(t, []string{"b.yml", "c.json", "etcd.yaml", "link.yaml"}, names)
}
