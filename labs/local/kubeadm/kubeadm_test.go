package kubeadm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const testNodeIP = "172.30.7.10"

// generate runs Generate into a fresh directory and returns it.
func generate(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	require.NoError(t, Generate(root, Config{NodeName: "controlplane", NodeIP: testNodeIP}))
	return root
}

func TestGenerateWritesKubeadmFilesWithModes(t *testing.T) {
	root := generate(t)
	want := map[string]os.FileMode{
		"etc/kubernetes":                                        os.ModeDir | 0o755,
		"etc/kubernetes/pki":                                    os.ModeDir | 0o755,
		"etc/kubernetes/pki/etcd":                               os.ModeDir | 0o755,
		"etc/kubernetes/manifests":                              os.ModeDir | 0o755,
		"var/lib":                                               os.ModeDir | 0o755,
		"var/lib/etcd":                                          os.ModeDir | 0o700,
		"etc/kubernetes/admin.conf":                             0o600,
		"etc/kubernetes/super-admin.conf":                       0o600,
		"etc/kubernetes/kubelet.conf":                           0o600,
		"etc/kubernetes/controller-manager.conf":                0o600,
		"etc/kubernetes/scheduler.conf":                         0o600,
		"etc/kubernetes/manifests/etcd.yaml":                    0o600,
		"etc/kubernetes/manifests/kube-apiserver.yaml":          0o600,
		"etc/kubernetes/manifests/kube-controller-manager.yaml": 0o600,
		"etc/kubernetes/manifests/kube-scheduler.yaml":          0o600,
		"etc/kubernetes/pki/sa.key":                             0o600,
		"etc/kubernetes/pki/sa.pub":                             0o600,
	}
	for _, base := range []string{"ca", "apiserver", "apiserver-etcd-client", "apiserver-kubelet-client",
		"front-proxy-ca", "front-proxy-client", "etcd/ca", "etcd/server", "etcd/peer", "etcd/healthcheck-client"} {
		want["etc/kubernetes/pki/"+base+".crt"] = 0o644
		want["etc/kubernetes/pki/"+base+".key"] = 0o600
	}
	for path, mode := range want {
		fi, err := os.Stat(filepath.Join(root, path))
		if !assertNoError(t, err, path) {
			continue
		}
		if fi.Mode() != mode {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode(), mode)
		}
	}
	// Nothing beyond what kubeadm writes for the control plane.
	err := filepath.WalkDir(filepath.Join(root, "etc"), func(path string, _ os.DirEntry, err error) error {
		rel, _ := filepath.Rel(root, path)
		if _, ok := want[rel]; !ok && rel != "etc" {
			t.Errorf("unexpected file %s", rel)
		}
		return err
	})
	require.NoError(t, err)
}

func TestGenerateRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"missing node IP", Config{}, `node IP "" is not an IPv4 address`},
		{"node IP not an address", Config{NodeIP: "controlplane"}, `node IP "controlplane" is not an IPv4 address`},
		{"IPv6 node IP", Config{NodeIP: "fd00::10"}, `node IP "fd00::10" is not an IPv4 address`},
		{"node name with capitals", Config{NodeIP: testNodeIP, NodeName: "ControlPlane"}, `node name "ControlPlane"`},
		{"bad service CIDR", Config{NodeIP: testNodeIP, ServiceCIDR: "10.96.0.0"}, `service CIDR "10.96.0.0"`},
		{"service CIDR too small", Config{NodeIP: testNodeIP, ServiceCIDR: "10.96.0.0/32"}, "no room for the kubernetes Service"},
		{"unknown component", Config{NodeIP: testNodeIP, Components: []string{"etcd", "kube-apiserver", "kube-proxy"}}, `unknown component "kube-proxy"`},
		{"no API server", Config{NodeIP: testNodeIP, Components: []string{"etcd"}}, `component "kube-apiserver" is missing`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			err := Generate(root, tc.cfg)
			require.ErrorContains(t, err, tc.want)
			entries, _ := os.ReadDir(root)
			require.Empty(t, entries, "a rejected config writes nothing")
		})
	}
}

func TestGenerateOverwritesAndKeepsEtcdData(t *testing.T) {
	root := generate(t)
	member := filepath.Join(root, "var/lib/etcd/member")
	require.NoError(t, os.Mkdir(member, 0o700))
	before, err := os.ReadFile(filepath.Join(root, "etc/kubernetes/pki/ca.crt"))
	require.NoError(t, err)

	require.NoError(t, Generate(root, Config{NodeIP: testNodeIP}))
	after, err := os.ReadFile(filepath.Join(root, "etc/kubernetes/pki/ca.crt"))
	require.NoError(t, err)
	require.NotEqual(t, string(before), string(after), "a second Generate makes a new CA")
	require.DirExists(t, member, "Generate does not touch etcd's data")
}

func TestGenerateReportsUnwritableRoot(t *testing.T) {
	root := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(root, nil, 0o600))
	err := Generate(root, Config{NodeIP: testNodeIP})
	require.Error(t, err)
	require.True(t, strings.Contains(err.Error(), "not a directory"), err.Error())
}

func assertNoError(t *testing.T, err error, what string) bool {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return false
	}
	return true
}

func BenchmarkGenerate(b *testing.B) {
	root := b.TempDir()
	for b.Loop() {
		if err := Generate(root, Config{NodeIP: testNodeIP}); err != nil {
			b.Fatal(err)
		}
	}
}
