package agent

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

func hostPathPod(mounts []corev1.VolumeMount, volumes ...corev1.Volume) *corev1.Pod {
	return &corev1.Pod{Spec: corev1.PodSpec{
		Containers: []corev1.Container{{Name: "etcd", VolumeMounts: mounts}},
		Volumes:    volumes,
	}}
}

func hostPathVolume(name, path string) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: path}}}
}

func TestResolvePath(t *testing.T) {
	kubeadm := hostPathPod(
		[]corev1.VolumeMount{{Name: "etcd-data", MountPath: "/var/lib/etcd"}, {Name: "etcd-certs", MountPath: "/etc/kubernetes/pki/etcd"}},
		hostPathVolume("etcd-certs", "/etc/kubernetes/pki/etcd"), hostPathVolume("etcd-data", "/var/lib/etcd"))
	restored := hostPathPod(
		[]corev1.VolumeMount{{Name: "etcd-data", MountPath: "/var/lib/etcd"}},
		hostPathVolume("etcd-data", "/var/lib/etcd-restored"))
	nested := hostPathPod(
		[]corev1.VolumeMount{{Name: "outer", MountPath: "/data"}, {Name: "inner", MountPath: "/data/inner/"}, {Name: "sub", MountPath: "/sub", SubPath: "x/y"}, {Name: "scratch", MountPath: "/data/scratch"}},
		hostPathVolume("outer", "/srv/outer"), hostPathVolume("inner", "/srv/inner"), hostPathVolume("sub", "/srv/sub"),
		corev1.Volume{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
	tests := []struct {
		name      string
		pod       *corev1.Pod
		container string
		path      string
		want      string
		onVolume  bool
	}{
		{"the data dir itself", kubeadm, "etcd", "/var/lib/etcd", "/var/lib/etcd", true},
		{"inside the data dir", kubeadm, "etcd", "/var/lib/etcd/member/snap/db", "/var/lib/etcd/member/snap/db", true},
		{"repointed hostPath", restored, "etcd", "/var/lib/etcd", "/var/lib/etcd-restored", true},
		{"repointed hostPath, file inside", restored, "etcd", "/var/lib/etcd/member", "/var/lib/etcd-restored/member", true},
		{"only --data-dir changed: a sibling is not on the volume", kubeadm, "etcd", "/var/lib/etcd-restored", "", false},
		{"prefix without a slash is not inside", kubeadm, "etcd", "/var/lib/etcdx", "", false},
		{"unclean path", kubeadm, "etcd", "/var/lib//etcd/./member/../member", "/var/lib/etcd/member", true},
		{"relative path is taken from /", kubeadm, "etcd", "var/lib/etcd", "/var/lib/etcd", true},
		{"container filesystem", kubeadm, "etcd", "/tmp/x", "", false},
		{"unknown container", kubeadm, "nope", "/var/lib/etcd", "", false},
		{"longest mount wins", nested, "etcd", "/data/inner/f", "/srv/inner/f", true},
		{"outer mount", nested, "etcd", "/data/other", "/srv/outer/other", true},
		{"subPath", nested, "etcd", "/sub/f", "/srv/sub/x/y/f", true},
		{"emptyDir is not a hostPath", nested, "etcd", "/data/scratch/f", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ResolvePath(tt.pod, tt.container, tt.path)
			require.Equal(t, tt.onVolume, ok)
			require.Equal(t, tt.want, got)
		})
	}
}

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
