package crilog

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// dirNode is a node whose files are under a host directory.
type dirNode string

func (d dirNode) Name() string { return "controlplane" }

func (d dirNode) ReadDir(_ context.Context, p string) ([]fs.DirEntry, error) {
	return os.ReadDir(filepath.Join(string(d), p))
}

func (d dirNode) HostPath(_ context.Context, p string) (string, func(), error) {
	return filepath.Join(string(d), p), func() {}, nil
}

// TestLastLine: the last message of the log written last, even where an
// older run's file has a higher number (left from a state put back).
func TestLastLine(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, PodLogsDir, "kube-system_kube-apiserver-controlplane_uid1", "kube-apiserver")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	write := func(name, content string, age time.Duration) {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		when := time.Now().Add(-age)
		require.NoError(t, os.Chtimes(p, when, when))
	}
	write("2.log", "", time.Minute)
	write("0.log", "t stderr F I1203 starting\nt stderr F E1203 run.go:72] \"command failed\" err=\"tls: private key does not match public key\"\n", time.Second)
	line, file, err := LastLine(context.Background(), dirNode(root), "kube-apiserver")
	require.NoError(t, err)
	require.Equal(t, `E1203 run.go:72] "command failed" err="tls: private key does not match public key"`, line)
	require.Equal(t, PodLogsDir+"/kube-system_kube-apiserver-controlplane_uid1/kube-apiserver/0.log", file)

	_, _, err = LastLine(context.Background(), dirNode(root), "etcd")
	require.ErrorContains(t, err, `pod "etcd" not found`)
}
