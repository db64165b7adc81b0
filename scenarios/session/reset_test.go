package session

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ckat/ckat/labs/local/kubeadm"
)

// The restore flags come from the etcd.yaml kubeadm writes, so the member
// a reset restores is the one the manifest starts.
func TestEtcdRestoreFlagsFromKubeadmManifest(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, kubeadm.Generate(root, kubeadm.Config{NodeName: "controlplane", NodeIP: "172.30.7.10"}))
	data, err := os.ReadFile(filepath.Join(root, "etc/kubernetes/manifests/etcd.yaml"))
	require.NoError(t, err)
	flags, err := etcdRestoreFlags(data)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{
		"--name='controlplane'",
		"--initial-cluster='controlplane=https://172.30.7.10:2380'",
		"--initial-advertise-peer-urls='https://172.30.7.10:2380'",
	}, flags)
}

func TestEtcdRestoreFlagsBadManifest(t *testing.T) {
	_, err := etcdRestoreFlags([]byte("spec: [\n"))
	require.ErrorContains(t, err, "reading the baseline etcd.yaml")
	_, err = etcdRestoreFlags([]byte("kind: Pod\nspec: {}\n"))
	require.EqualError(t, err, "the baseline etcd.yaml has no container")
}
