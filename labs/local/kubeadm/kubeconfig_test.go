package kubeadm

import (
	"crypto/x509"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/client-go/tools/clientcmd"
	certutil "k8s.io/client-go/util/cert"
)

func TestKubeconfigs(t *testing.T) {
	root := generate(t)
	ca := readCert(t, root, "ca")
	for _, tc := range []struct {
		file, user string
		groups     []string
	}{
		{"admin.conf", "kubernetes-admin", []string{"kubeadm:cluster-admins"}},
		{"super-admin.conf", "kubernetes-super-admin", []string{"system:masters"}},
		{"kubelet.conf", "system:node:controlplane", []string{"system:nodes"}},
		{"controller-manager.conf", "system:kube-controller-manager", nil},
		{"scheduler.conf", "system:kube-scheduler", nil},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(root, "etc/kubernetes", tc.file)
			kc, err := clientcmd.LoadFromFile(path)
			require.NoError(t, err)
			require.NoError(t, clientcmd.Validate(*kc))
			wantContext := tc.user + "@kubernetes"
			require.Equal(t, wantContext, kc.CurrentContext)
			require.Equal(t, "kubernetes", kc.Contexts[wantContext].Cluster)
			require.Equal(t, tc.user, kc.Contexts[wantContext].AuthInfo)
			require.Equal(t, "https://172.30.7.10:6443", kc.Clusters["kubernetes"].Server)
			require.Equal(t, encodeCert(ca), kc.Clusters["kubernetes"].CertificateAuthorityData)

			rc, err := clientcmd.BuildConfigFromFlags("", path)
			require.NoError(t, err)
			require.Equal(t, "https://172.30.7.10:6443", rc.Host)

			certs, err := certutil.ParseCertsPEM(kc.AuthInfos[tc.user].ClientCertificateData)
			require.NoError(t, err)
			cert := certs[0]
			require.Equal(t, tc.user, cert.Subject.CommonName)
			require.Equal(t, tc.groups, cert.Subject.Organization)
			roots := x509.NewCertPool()
			roots.AddCert(ca)
			_, err = cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
			require.NoError(t, err)
			_, err = cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
			require.Error(t, err)
		})
	}
}

func TestAdminKubeconfigRewritesServer(t *testing.T) {
	root := generate(t)
	for _, tc := range []struct {
		name string
		get  func(root, server string) ([]byte, error)
		user string
	}{
		{"admin", AdminKubeconfig, "kubernetes-admin"},
		{"super-admin", SuperAdminKubeconfig, "kubernetes-super-admin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := tc.get(root, "https://127.0.0.1:40123")
			require.NoError(t, err)
			kc, err := clientcmd.Load(data)
			require.NoError(t, err)
			require.Equal(t, "https://127.0.0.1:40123", kc.Clusters["kubernetes"].Server)
			require.Equal(t, tc.user, kc.Contexts[kc.CurrentContext].AuthInfo)
			require.NotEmpty(t, kc.AuthInfos[tc.user].ClientKeyData)

			// The file on the node keeps kubeadm's server.
			onNode, err := clientcmd.LoadFromFile(filepath.Join(root, "etc/kubernetes", tc.name+".conf"))
			require.NoError(t, err)
			require.Equal(t, "https://172.30.7.10:6443", onNode.Clusters["kubernetes"].Server)
		})
	}
}

func TestAdminKubeconfigErrors(t *testing.T) {
	_, err := AdminKubeconfig(t.TempDir(), "https://127.0.0.1:1")
	require.ErrorContains(t, err, "admin.conf")
	require.ErrorContains(t, err, "no such file")
}
