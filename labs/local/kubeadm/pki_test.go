package kubeadm

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"net"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	certutil "k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"
)

func readCert(t *testing.T, root, base string) *x509.Certificate {
	t.Helper()
	certs, err := certutil.CertsFromFile(filepath.Join(root, "etc/kubernetes/pki", base+".crt"))
	require.NoError(t, err, base)
	require.Len(t, certs, 1, base)
	return certs[0]
}

func requireKeyMatches(t *testing.T, root, base string, cert *x509.Certificate) {
	t.Helper()
	key, err := keyutil.PrivateKeyFromFile(filepath.Join(root, "etc/kubernetes/pki", base+".key"))
	require.NoError(t, err, base)
	ec, ok := key.(*ecdsa.PrivateKey)
	require.True(t, ok, "%s.key is %T, want ECDSA", base, key)
	require.Equal(t, elliptic.P256(), ec.Curve, base)
	require.True(t, ec.PublicKey.Equal(cert.PublicKey), "%s.key does not match %s.crt", base, base)
}

func TestCAs(t *testing.T) {
	root := generate(t)
	for _, tc := range []struct{ base, cn string }{
		{"ca", "kubernetes"},
		{"front-proxy-ca", "front-proxy-ca"},
		{"etcd/ca", "etcd-ca"},
	} {
		t.Run(tc.base, func(t *testing.T) {
			ca := readCert(t, root, tc.base)
			require.True(t, ca.IsCA)
			require.Equal(t, tc.cn, ca.Subject.CommonName)
			require.NotZero(t, ca.KeyUsage&x509.KeyUsageCertSign)
			require.NoError(t, ca.CheckSignatureFrom(ca), "self-signed")
			require.WithinDuration(t, time.Now().Add(10*365*24*time.Hour), ca.NotAfter, time.Hour)
			requireKeyMatches(t, root, tc.base, ca)
		})
	}
}

func TestCertificatesVerifyWithKubeadmSubjectsUsagesAndSANs(t *testing.T) {
	root := generate(t)
	nodeIP := net.ParseIP(testNodeIP)
	loopback := net.ParseIP("127.0.0.1")
	server, client := x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth
	for _, tc := range []struct {
		base, ca string
		cn       string
		orgs     []string
		usages   []x509.ExtKeyUsage
		dnsNames []string
		ips      []net.IP
	}{
		{base: "apiserver", ca: "ca", cn: "kube-apiserver", usages: []x509.ExtKeyUsage{server},
			dnsNames: []string{"controlplane", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
				"kubernetes.default.svc.cluster.local", "localhost"},
			ips: []net.IP{net.ParseIP("10.96.0.1"), nodeIP, loopback}},
		{base: "apiserver-kubelet-client", ca: "ca", cn: "kube-apiserver-kubelet-client", usages: []x509.ExtKeyUsage{client}},
		{base: "front-proxy-client", ca: "front-proxy-ca", cn: "front-proxy-client", usages: []x509.ExtKeyUsage{client}},
		{base: "apiserver-etcd-client", ca: "etcd/ca", cn: "kube-apiserver-etcd-client", usages: []x509.ExtKeyUsage{client}},
		{base: "etcd/healthcheck-client", ca: "etcd/ca", cn: "kube-etcd-healthcheck-client", usages: []x509.ExtKeyUsage{client}},
		{base: "etcd/server", ca: "etcd/ca", cn: "controlplane", usages: []x509.ExtKeyUsage{server, client},
			dnsNames: []string{"controlplane", "localhost"}, ips: []net.IP{nodeIP, loopback, net.IPv6loopback}},
		{base: "etcd/peer", ca: "etcd/ca", cn: "controlplane", usages: []x509.ExtKeyUsage{server, client},
			dnsNames: []string{"controlplane", "localhost"}, ips: []net.IP{nodeIP, loopback, net.IPv6loopback}},
	} {
		t.Run(tc.base, func(t *testing.T) {
			cert := readCert(t, root, tc.base)
			ca := readCert(t, root, tc.ca)
			require.False(t, cert.IsCA)
			require.Equal(t, tc.cn, cert.Subject.CommonName)
			require.Equal(t, tc.orgs, cert.Subject.Organization)
			require.Equal(t, tc.usages, cert.ExtKeyUsage)
			require.Equal(t, tc.dnsNames, cert.DNSNames)
			require.Equal(t, len(tc.ips), len(cert.IPAddresses), "IP SANs %v", cert.IPAddresses)
			for i, ip := range tc.ips {
				require.True(t, ip.Equal(cert.IPAddresses[i]), "IP SAN %d is %v, want %v", i, cert.IPAddresses[i], ip)
			}
			require.Equal(t, ca.NotBefore, cert.NotBefore)
			require.Equal(t, cert.NotBefore.Add(365*24*time.Hour), cert.NotAfter)
			requireKeyMatches(t, root, tc.base, cert)

			roots := x509.NewCertPool()
			roots.AddCert(ca)
			for _, usage := range tc.usages {
				_, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{usage}})
				require.NoError(t, err, "verify for %v", usage)
			}
			// Each SAN verifies as a host name for server certificates.
			for _, name := range append(slices.Clone(tc.dnsNames), ipStrings(tc.ips)...) {
				_, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: name, KeyUsages: []x509.ExtKeyUsage{server}})
				require.NoError(t, err, "verify for host %s", name)
			}
			// A certificate does not verify for a usage it lacks.
			if !slices.Contains(tc.usages, server) {
				_, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{server}})
				require.Error(t, err, "a client certificate must not serve")
			}
			// Nor against another CA.
			other := readCert(t, root, map[string]string{"ca": "etcd/ca", "etcd/ca": "ca", "front-proxy-ca": "ca"}[tc.ca])
			otherRoots := x509.NewCertPool()
			otherRoots.AddCert(other)
			_, err := cert.Verify(x509.VerifyOptions{Roots: otherRoots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
			require.Error(t, err, "%s must not verify against %s", tc.base, other.Subject.CommonName)
		})
	}
}

func TestServiceAccountKeyPair(t *testing.T) {
	root := generate(t)
	key, err := keyutil.PrivateKeyFromFile(filepath.Join(root, "etc/kubernetes/pki/sa.key"))
	require.NoError(t, err)
	pubs, err := keyutil.PublicKeysFromFile(filepath.Join(root, "etc/kubernetes/pki/sa.pub"))
	require.NoError(t, err)
	require.Len(t, pubs, 1)
	ec, ok := key.(*ecdsa.PrivateKey)
	require.True(t, ok, "sa.key is %T", key)
	require.True(t, ec.PublicKey.Equal(pubs[0]), "sa.pub is not sa.key's public key")
}

func ipStrings(ips []net.IP) []string {
	var s []string
	for _, ip := range ips {
		s = append(s, ip.String())
	}
	return s
}
