package kubeadm

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/x509"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/client-go/tools/clientcmd"
	certutil "k8s.io/client-go/util/cert"
)

// referenceDir holds what kubeadm v1.37.2's own code writes for the node
// of these tests (testdata/reference, private keys left out).
const referenceDir = "testdata/kubeadm-v1.37.2"

// generateReferenceNode runs Generate with the configuration testdata/reference gives kubeadm.
func generateReferenceNode(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	require.NoError(t, Generate(root, Config{
		NodeName: "controlplane", NodeIP: testNodeIP, KubernetesVersion: "v1.37.2",
		EtcdImage: "registry.k8s.io/etcd:3.7.3-0", APIServerImage: "registry.k8s.io/kube-apiserver:v1.37.2",
		ServiceCIDR: "10.96.0.0/12", ClusterName: "kubernetes",
	}))
	return root
}

func TestManifestsMatchKubeadm(t *testing.T) {
	root := generateReferenceNode(t)
	for _, name := range []string{"etcd.yaml", "kube-apiserver.yaml", "kube-controller-manager.yaml", "kube-scheduler.yaml"} {
		t.Run(name, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(referenceDir, "etc/kubernetes/manifests", name))
			require.NoError(t, err)
			got, err := os.ReadFile(filepath.Join(root, "etc/kubernetes/manifests", name))
			require.NoError(t, err)
			require.Equal(t, string(want), string(got))
		})
	}
}

func TestFilesAndModesMatchKubeadm(t *testing.T) {
	root := generateReferenceNode(t)
	want, err := os.ReadFile(filepath.Join(referenceDir, "modes.txt"))
	require.NoError(t, err)
	var wantFiles []string
	for _, line := range strings.Split(strings.TrimSpace(string(want)), "\n") {
		mode, path, _ := strings.Cut(line, " ")
		if fi, err := os.Stat(filepath.Join(referenceDir, path)); err == nil && fi.IsDir() {
			// Directory modes are Generate's own (see its doc).
			require.DirExists(t, filepath.Join(root, path))
			continue
		}
		wantFiles = append(wantFiles, mode+" "+path)
	}
	var gotFiles []string
	err = filepath.WalkDir(filepath.Join(root, "etc"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		gotFiles = append(gotFiles, fmt.Sprintf("%04o %s", fi.Mode().Perm(), rel))
		return nil
	})
	require.NoError(t, err)
	slices.Sort(gotFiles)
	require.Equal(t, wantFiles, gotFiles)
}

// describeCert is what a certificate says, less what differs between any
// two runs (keys, serials, signatures, dates).
func describeCert(t *testing.T, path string) string {
	t.Helper()
	certs, err := certutil.CertsFromFile(path)
	require.NoError(t, err)
	require.Len(t, certs, 1)
	return describe(certs[0])
}

func describe(c *x509.Certificate) string {
	var ips []string
	for _, ip := range c.IPAddresses {
		ips = append(ips, ip.String())
	}
	curve := ""
	if k, ok := c.PublicKey.(*ecdsa.PublicKey); ok {
		curve = k.Curve.Params().Name
	}
	return strings.Join([]string{
		"subject: " + c.Subject.String(),
		"issuer: " + c.Issuer.String(),
		fmt.Sprintf("ca: %v basic-constraints: %v max-path-len: %d", c.IsCA, c.BasicConstraintsValid, c.MaxPathLen),
		fmt.Sprintf("key-usage: %d ext-key-usage: %v", c.KeyUsage, c.ExtKeyUsage),
		fmt.Sprintf("dns: %v ips: %v", c.DNSNames, ips),
		fmt.Sprintf("key: %v %s signature: %v", c.PublicKeyAlgorithm, curve, c.SignatureAlgorithm),
		fmt.Sprintf("subject-key-id: %v authority-key-id: %v", len(c.SubjectKeyId) > 0, len(c.AuthorityKeyId) > 0),
		fmt.Sprintf("validity: %v", c.NotAfter.Sub(c.NotBefore).Round(time.Hour)),
	}, "\n")
}

func TestCertificatesMatchKubeadm(t *testing.T) {
	root := generateReferenceNode(t)
	pki := filepath.Join(referenceDir, "etc/kubernetes/pki")
	var compared int
	err := filepath.WalkDir(pki, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(path, ".crt") {
			return err
		}
		rel, _ := filepath.Rel(referenceDir, path)
		t.Run(rel, func(t *testing.T) {
			require.Equal(t, describeCert(t, path), describeCert(t, filepath.Join(root, rel)))
		})
		compared++
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 10, compared)

	want, err := os.ReadFile(filepath.Join(pki, "sa.pub"))
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(root, "etc/kubernetes/pki/sa.pub"))
	require.NoError(t, err)
	require.Equal(t, pemType(want), pemType(got))
}

func pemType(data []byte) string {
	first, _, _ := bytes.Cut(data, []byte("\n"))
	return string(first) + fmt.Sprintf(" (%d bytes)", len(data))
}

func TestKubeconfigsMatchKubeadm(t *testing.T) {
	root := generateReferenceNode(t)
	for _, name := range []string{"admin.conf", "super-admin.conf", "kubelet.conf", "controller-manager.conf", "scheduler.conf"} {
		t.Run(name, func(t *testing.T) {
			require.Equal(t,
				describeKubeconfig(t, filepath.Join(referenceDir, "etc/kubernetes"), name),
				describeKubeconfig(t, filepath.Join(root, "etc/kubernetes"), name))
		})
	}
}

// describeKubeconfig is a kubeconfig's names, server and client certificate,
// and whether its CA is the ca.crt beside it.
func describeKubeconfig(t *testing.T, dir, name string) string {
	t.Helper()
	kc, err := clientcmd.LoadFromFile(filepath.Join(dir, name))
	require.NoError(t, err)
	ca, err := os.ReadFile(filepath.Join(dir, "pki/ca.crt"))
	require.NoError(t, err)
	lines := []string{"current-context: " + kc.CurrentContext}
	for n, c := range kc.Clusters {
		lines = append(lines, fmt.Sprintf("cluster %s: %s ca-is-ca.crt: %v", n, c.Server, bytes.Equal(c.CertificateAuthorityData, ca)))
	}
	for n, c := range kc.Contexts {
		lines = append(lines, fmt.Sprintf("context %s: cluster %s user %s namespace %q", n, c.Cluster, c.AuthInfo, c.Namespace))
	}
	for n, u := range kc.AuthInfos {
		certs, err := certutil.ParseCertsPEM(u.ClientCertificateData)
		require.NoError(t, err)
		lines = append(lines, "user "+n+":\n"+describe(certs[0]))
	}
	slices.Sort(lines[1:])
	return strings.Join(lines, "\n")
}
