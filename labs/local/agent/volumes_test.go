package agent

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

func TestExpand(t *testing.T) {
	vars := map[string]string{"IP": "10.0.0.1", "EMPTY": ""}
	tests := []struct{ in, want string }{
		{"--addr=$(IP):2379", "--addr=10.0.0.1:2379"},
		{"$(MISSING)", "$(MISSING)"},
		{"$$(IP)", "$(IP)"},
		{"a$(EMPTY)b", "ab"},
		{"$(IP", "$(IP"},
		{"cost $5", "cost $5"},
		{"trailing $", "trailing $"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, expand(tt.in, vars), tt.in)
	}
}

func TestCheckHostPath(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	typ := func(t corev1.HostPathType) *corev1.HostPathType { return &t }
	tests := []struct {
		name     string
		path     string
		typ      *corev1.HostPathType
		wantFile bool
		wantErr  string
		created  bool // the path exists afterwards
	}{
		{"DirectoryOrCreate creates", filepath.Join(dir, "new/etcd"), typ(corev1.HostPathDirectoryOrCreate), false, "", true},
		{"unset type creates a directory", filepath.Join(dir, "unset"), nil, false, "", true},
		{"DirectoryOrCreate on a file", file, typ(corev1.HostPathDirectoryOrCreate), false, "is not a directory", true},
		{"Directory exists", dir, typ(corev1.HostPathDirectory), false, "", true},
		{"Directory missing", filepath.Join(dir, "missing"), typ(corev1.HostPathDirectory), false,
			`MountVolume.SetUp failed for volume "v" : hostPath type check failed: ` + filepath.Join(dir, "missing") + " is not a directory", false},
		{"File exists", file, typ(corev1.HostPathFile), true, "", true},
		{"File missing", filepath.Join(dir, "nofile"), typ(corev1.HostPathFile), false, "is not a file", false},
		{"File on a directory", dir, typ(corev1.HostPathFile), false, "is not a file", true},
		{"FileOrCreate creates", filepath.Join(dir, "created"), typ(corev1.HostPathFileOrCreate), true, "", true},
		{"Socket missing", filepath.Join(dir, "sock"), typ(corev1.HostPathSocket), false, "is not a socket file", false},
		{"unset type on a file binds the file", file, nil, true, "", true},
		{"a relative path is not mounted", "var/lib/etcd-relative", typ(corev1.HostPathDirectoryOrCreate), false,
			`MountVolume.SetUp failed for volume "v" : hostPath "var/lib/etcd-relative" is not an absolute path`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isFile, err := checkHostPath("v", &corev1.HostPathVolumeSource{Path: tt.path, Type: tt.typ})
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				var ve *volumeError
				require.ErrorAs(t, err, &ve)
			} else {
				require.NoError(t, err)
				require.Equal(t, tt.wantFile, isFile)
			}
			_, statErr := os.Stat(tt.path)
			require.Equal(t, tt.created, statErr == nil)
		})
	}
}
