package agent

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
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
		{"invalid-yaml-indent.yaml", []string{"couldn't parse as pod(yaml: line 9: did not find expected key), please check config file"}},
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

// TestListManifestsSkipsWhatKubeletSkips checks that the agent reads the
// files the kubelet's file source reads (pkg/kubelet/config/file.go,
// extractFromDir): every name not starting with '.', whatever it ends in,
// in name order; directories and other non-regular files are passed over
// with the kubelet's log line. Two files defining one pod are both listed:
// which runs is the file source's choice (TestFileSource).
func TestListManifestsSkipsWhatKubeletSkips(t *testing.T) {
	etcd, err := os.ReadFile("testdata/valid-etcd.yaml")
	require.NoError(t, err)
	write := func(t *testing.T, path string, data []byte) {
		t.Helper()
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, data, 0o644))
	}
	// want is one listed manifest: a pod, or an invalid file.
	type want struct {
		file   string
		pod    string // the static pod's name, when it is one
		errHas string // part of the error, when the file is not a pod
	}
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		want    []want
		skipped map[string]string // file: part of the kubelet's log line
	}{
		{
			name: "a .bak copy is a pod too",
			setup: func(t *testing.T, dir string) {
				write(t, filepath.Join(dir, "etcd.yaml"), etcd)
				write(t, filepath.Join(dir, "etcd.yaml.bak"), etcd)
			},
			want: []want{{file: "etcd.yaml", pod: "etcd-controlplane"}, {file: "etcd.yaml.bak", pod: "etcd-controlplane"}},
		},
		{
			name: "a copy whose name sorts first",
			setup: func(t *testing.T, dir string) {
				write(t, filepath.Join(dir, "etcd.yaml"), etcd)
				write(t, filepath.Join(dir, "etcd-old.yaml"), etcd)
			},
			want: []want{{file: "etcd-old.yaml", pod: "etcd-controlplane"}, {file: "etcd.yaml", pod: "etcd-controlplane"}},
		},
		{
			name: "a second kube-apiserver manifest under any name",
			setup: func(t *testing.T, dir string) {
				for _, name := range []string{"kube-apiserver.yaml", "kube-apiserver.yaml.orig", "kube-apiserver.yaml~"} {
					write(t, filepath.Join(dir, name), []byte(shellPod("kube-apiserver", "exec sleep 1000")))
				}
			},
			want: []want{
				{file: "kube-apiserver.yaml", pod: "kube-apiserver-controlplane"},
				{file: "kube-apiserver.yaml.orig", pod: "kube-apiserver-controlplane"},
				{file: "kube-apiserver.yaml~", pod: "kube-apiserver-controlplane"},
			},
		},
		{
			name: "every extension or none is read",
			setup: func(t *testing.T, dir string) {
				for _, name := range []string{"a.yml", "b.json", "c.txt", "d"} {
					write(t, filepath.Join(dir, name), []byte(shellPod(name[:1], "exec sleep 1000")))
				}
			},
			want: []want{
				{file: "a.yml", pod: "a-controlplane"}, {file: "b.json", pod: "b-controlplane"},
				{file: "c.txt", pod: "c-controlplane"}, {file: "d", pod: "d-controlplane"},
			},
		},
		{
			name: "a dotfile is ignored",
			setup: func(t *testing.T, dir string) {
				write(t, filepath.Join(dir, ".etcd.yaml.swp"), etcd)
				write(t, filepath.Join(dir, ".etcd-old.yaml"), etcd)
				write(t, filepath.Join(dir, "etcd.yaml"), etcd)
			},
			want: []want{{file: "etcd.yaml", pod: "etcd-controlplane"}},
		},
		{
			name: "a file without extension that is not a pod is invalid",
			setup: func(t *testing.T, dir string) {
				write(t, filepath.Join(dir, "README"), []byte("Backups of these manifests are in /root/manifests.\n"))
				write(t, filepath.Join(dir, "4913"), nil) // vim's probe file, empty
				write(t, filepath.Join(dir, "etcd.yaml"), etcd)
			},
			want: []want{
				{file: "4913", errHas: "couldn't parse as pod"},
				{file: "README", errHas: "couldn't parse as pod"},
				{file: "etcd.yaml", pod: "etcd-controlplane"},
			},
		},
		{
			name: "a subdirectory is ignored",
			setup: func(t *testing.T, dir string) {
				write(t, filepath.Join(dir, "backup", "etcd.yaml"), etcd)
				require.NoError(t, os.Mkdir(filepath.Join(dir, "old.yaml"), 0o755))
				write(t, filepath.Join(dir, "etcd.yaml"), etcd)
			},
			want: []want{{file: "etcd.yaml", pod: "etcd-controlplane"}},
			skipped: map[string]string{
				"backup":   "Provided manifest path is a directory, not recursing into manifest path",
				"old.yaml": "Provided manifest path is a directory, not recursing into manifest path",
			},
		},
		{
			name: "a symlink is followed",
			setup: func(t *testing.T, dir string) {
				outside := t.TempDir()
				write(t, filepath.Join(outside, "etcd.yaml"), etcd)
				require.NoError(t, os.Symlink(filepath.Join(outside, "etcd.yaml"), filepath.Join(dir, "etcd.yaml")))
				require.NoError(t, os.Symlink(outside, filepath.Join(dir, "dirlink")))
				require.NoError(t, os.Symlink(filepath.Join(outside, "gone.yaml"), filepath.Join(dir, "dangling.yaml")))
			},
			want: []want{{file: "etcd.yaml", pod: "etcd-controlplane"}},
			skipped: map[string]string{
				"dangling.yaml": `"Could not get metadata" err="stat `,
				"dirlink":       "Provided manifest path is a directory",
			},
		},
		{
			name: "a FIFO is not read",
			setup: func(t *testing.T, dir string) {
				require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "etcd.yaml"), 0o644))
			},
			skipped: map[string]string{"etcd.yaml": `"Manifest path is not a directory or file"`},
		},
		{
			name: "a file of 10 MiB is not a pod",
			setup: func(t *testing.T, dir string) {
				big := append(append([]byte{}, etcd...), bytes.Repeat([]byte("\n"), maxManifestSize-len(etcd))...)
				write(t, filepath.Join(dir, "etcd.yaml"), big)
				write(t, filepath.Join(dir, "fits.yaml"), big[:maxManifestSize-1])
			},
			want: []want{{file: "etcd.yaml", errHas: "the read limit is reached"}, {file: "fits.yaml", pod: "etcd-controlplane"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(t, dir)
			list, skipped, err := listManifests(dir, "controlplane", nil)
			require.NoError(t, err)
			require.Len(t, list, len(tt.want), "listed: %v", list)
			for i, w := range tt.want {
				m := list[i]
				require.Equal(t, w.file, m.File)
				if w.pod != "" {
					require.NoError(t, m.Err, m.File)
					require.Equal(t, w.pod, m.Pod.Name)
				} else {
					require.ErrorContains(t, m.Err, w.errHas)
				}
			}
			require.Len(t, skipped, len(tt.skipped), "skipped: %v", skipped)
			for _, s := range skipped {
				require.Contains(t, tt.skipped, s.File)
				require.Contains(t, s.Msg, tt.skipped[s.File])
				require.Contains(t, s.Msg, `path="`+filepath.Join(dir, s.File)+`"`)
			}
		})
	}
}

func TestListManifestsMissingDir(t *testing.T) {
	list, skipped, err := listManifests(filepath.Join(t.TempDir(), "manifests"), "controlplane", nil)
	require.NoError(t, err)
	require.Empty(t, list)
	require.Empty(t, skipped)
}

// TestListManifestsCacheAfterReadError checks that a file that could not
// be read is parsed again once it can.
func TestListManifestsCacheAfterReadError(t *testing.T) {
	dir := t.TempDir()
	etcd, err := os.ReadFile("testdata/valid-etcd.yaml")
	require.NoError(t, err)
	path := filepath.Join(dir, "etcd.yaml")
	require.NoError(t, os.WriteFile(path, append(etcd, bytes.Repeat([]byte("\n"), maxManifestSize)...), 0o644))
	cache := map[string]manifest{}
	list, _, err := listManifests(dir, "controlplane", cache)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.ErrorIs(t, list[0].Err, errManifestTooLong)

	require.NoError(t, os.Truncate(path, int64(len(etcd))))
	list, _, err = listManifests(dir, "controlplane", cache)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.NoError(t, list[0].Err)
	require.Equal(t, "etcd-controlplane", list[0].Pod.Name)
}
