package kubeadm

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	cryptorand "crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net"
	"path"
	"slices"
	"time"

	certutil "k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"

	layout "github.com/ckat/ckat/internal/kubeadm"
)

// certificateValidity is kubeadm's validity of a signed certificate; its
// CAs get ten years from certutil.NewSelfSignedCACert.
const certificateValidity = 365 * 24 * time.Hour

// Subjects kubeadm gives its certificates and kubeconfig users.
const (
	ClusterAdminsGroup = "kubeadm:cluster-admins"
	SystemMastersGroup = "system:masters"
	NodesGroup         = "system:nodes"
	AdminUser          = "kubernetes-admin"
	SuperAdminUser     = "kubernetes-super-admin"
)

// APIServerCertSANs are the extra names on the API server's certificate, as
// kind sets kubeadm's apiServer.certSANs: the node's loopback and the host's
// forwarded port both reach the API server as 127.0.0.1 or localhost.
var APIServerCertSANs = []string{"localhost", "127.0.0.1"}

// authority is a CA's certificate and key.
type authority struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// authorities are the three CAs kubeadm makes.
type authorities struct {
	ca, frontProxy, etcd authority
}

// leafSpec is one certificate kubeadm signs: file base name (relative to
// the PKI directory, without extension), signing CA and subject, SANs and
// usages.
type leafSpec struct {
	base   string
	ca     func(authorities) authority
	config certutil.Config
}

func leafSpecs(cfg Config) ([]leafSpec, error) {
	nodeIP := net.ParseIP(cfg.NodeIP).To4()
	vip, err := serviceVIP(cfg.ServiceCIDR)
	if err != nil {
		return nil, err
	}
	clusterCA := func(a authorities) authority { return a.ca }
	frontProxyCA := func(a authorities) authority { return a.frontProxy }
	etcdCA := func(a authorities) authority { return a.etcd }
	client := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	serverClient := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	etcdSANs := certutil.AltNames{
		DNSNames: []string{cfg.NodeName, "localhost"},
		IPs:      []net.IP{nodeIP, net.IPv4(127, 0, 0, 1).To4(), net.IPv6loopback},
	}
	apiServerSANs := certutil.AltNames{
		DNSNames: []string{cfg.NodeName, "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc." + DNSDomain},
		IPs: []net.IP{vip, nodeIP},
	}
	for _, san := range APIServerCertSANs {
		if ip := net.ParseIP(san); ip != nil {
			apiServerSANs.IPs = append(apiServerSANs.IPs, ip)
		} else {
			apiServerSANs.DNSNames = append(apiServerSANs.DNSNames, san)
		}
	}
	return []leafSpec{
		{base: layout.APIServerCertAndKeyBaseName, ca: clusterCA, config: certutil.Config{
			CommonName: "kube-apiserver",
			AltNames:   apiServerSANs,
			Usages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}},
		{base: layout.APIServerKubeletClientCertAndKeyBaseName, ca: clusterCA, config: certutil.Config{
			CommonName: "kube-apiserver-kubelet-client", Usages: client,
		}},
		{base: layout.FrontProxyClientCertAndKeyBaseName, ca: frontProxyCA, config: certutil.Config{
			CommonName: "front-proxy-client", Usages: client,
		}},
		{base: layout.EtcdServerCertAndKeyBaseName, ca: etcdCA, config: certutil.Config{
			CommonName: cfg.NodeName, AltNames: etcdSANs, Usages: serverClient,
		}},
		{base: layout.EtcdPeerCertAndKeyBaseName, ca: etcdCA, config: certutil.Config{
			CommonName: cfg.NodeName, AltNames: etcdSANs, Usages: serverClient,
		}},
		{base: layout.EtcdHealthcheckClientCertAndKeyBaseName, ca: etcdCA, config: certutil.Config{
			CommonName: "kube-etcd-healthcheck-client", Usages: client,
		}},
		{base: layout.APIServerEtcdClientCertAndKeyBaseName, ca: etcdCA, config: certutil.Config{
			CommonName: "kube-apiserver-etcd-client", Usages: client,
		}},
	}, nil
}

// writePKI writes the CAs, the signed certificates and the service-account
// key pair, and returns the CAs.
func writePKI(root string, cfg Config) (authorities, error) {
	var cas authorities
	for _, ca := range []struct {
		base string
		cn   string
		into *authority
	}{
		{layout.CACertAndKeyBaseName, "kubernetes", &cas.ca},
		{layout.FrontProxyCACertAndKeyBaseName, "front-proxy-ca", &cas.frontProxy},
		{layout.EtcdCACertAndKeyBaseName, "etcd-ca", &cas.etcd},
	} {
		a, err := newAuthority(ca.cn)
		if err != nil {
			return cas, fmt.Errorf("create CA %s: %w", ca.cn, err)
		}
		if err := writeCertAndKey(root, ca.base, a.cert, a.key); err != nil {
			return cas, err
		}
		*ca.into = a
	}

	specs, err := leafSpecs(cfg)
	if err != nil {
		return cas, err
	}
	for _, s := range specs {
		cert, key, err := newCertAndKey(s.ca(cas), s.config, time.Time{})
		if err != nil {
			return cas, fmt.Errorf("create certificate %s: %w", path.Base(s.base), err)
		}
		if err := writeCertAndKey(root, s.base, cert, key); err != nil {
			return cas, err
		}
	}

	if err := writeServiceAccountKeys(root); err != nil {
		return cas, err
	}
	return cas, nil
}

// newKey returns a key of kubeadm's ECDSA-P256 encryption algorithm.
func newKey() (*ecdsa.PrivateKey, error) {
	return ecdsa.GenerateKey(elliptic.P256(), cryptorand.Reader)
}

func newAuthority(commonName string) (authority, error) {
	key, err := newKey()
	if err != nil {
		return authority{}, err
	}
	cert, err := certutil.NewSelfSignedCACert(certutil.Config{CommonName: commonName}, key)
	if err != nil {
		return authority{}, err
	}
	return authority{cert: cert, key: key}, nil
}

// newCertAndKey signs a new key's certificate as kubeadm's pkiutil.NewSignedCert
// does: valid from the CA's NotBefore for a year (or until notAfter when set).
func newCertAndKey(ca authority, cfg certutil.Config, notAfter time.Time) (*x509.Certificate, crypto.Signer, error) {
	if cfg.CommonName == "" || len(cfg.Usages) == 0 {
		return nil, nil, errors.New("a certificate needs a common name and a usage")
	}
	key, err := newKey()
	if err != nil {
		return nil, nil, err
	}
	serial, err := cryptorand.Int(cryptorand.Reader, big.NewInt(math.MaxInt64-1))
	if err != nil {
		return nil, nil, err
	}
	dnsNames, ips := dedupe(cfg.AltNames)
	notBefore := ca.cert.NotBefore
	if notAfter.IsZero() {
		notAfter = notBefore.Add(certificateValidity)
	}
	tmpl := x509.Certificate{
		Subject:               pkix.Name{CommonName: cfg.CommonName, Organization: cfg.Organization},
		DNSNames:              dnsNames,
		IPAddresses:           ips,
		SerialNumber:          serial.Add(serial, big.NewInt(1)),
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageKeyEncipherment | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           cfg.Usages,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(cryptorand.Reader, &tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

// dedupe sorts and dedupes DNS names and dedupes IPs keeping their order, as
// kubeadm's RemoveDuplicateAltNames does.
func dedupe(names certutil.AltNames) ([]string, []net.IP) {
	var dnsNames []string
	if names.DNSNames != nil {
		dnsNames = slices.Compact(slices.Sorted(slices.Values(names.DNSNames)))
	}
	var ips []net.IP
	for _, ip := range names.IPs {
		if !slices.ContainsFunc(ips, ip.Equal) {
			ips = append(ips, ip)
		}
	}
	return dnsNames, ips
}

// writeCertAndKey writes base's certificate (0644) and key (0600) under
// the PKI directory.
func writeCertAndKey(root, base string, cert *x509.Certificate, key crypto.Signer) error {
	keyPEM, err := keyutil.MarshalPrivateKeyToPEM(key)
	if err != nil {
		return fmt.Errorf("encode key %s: %w", layout.KeyFile(base), err)
	}
	if err := writeFile(hostPath(root, layout.KeyFile(base)), keyPEM, 0o600); err != nil {
		return err
	}
	return writeFile(hostPath(root, layout.CertFile(base)), encodeCert(cert), 0o644)
}

func encodeCert(cert *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: certutil.CertificateBlockType, Bytes: cert.Raw})
}

// writeServiceAccountKeys writes sa.key and sa.pub, both 0600 as kubeadm
// writes them.
func writeServiceAccountKeys(root string) error {
	key, err := newKey()
	if err != nil {
		return fmt.Errorf("create service-account key: %w", err)
	}
	keyPEM, err := keyutil.MarshalPrivateKeyToPEM(key)
	if err != nil {
		return fmt.Errorf("encode sa.key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return fmt.Errorf("encode sa.pub: %w", err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	if err := writeFile(hostPath(root, layout.KeyFile(layout.ServiceAccountKeyBaseName)), keyPEM, 0o600); err != nil {
		return err
	}
	return writeFile(hostPath(root, layout.PublicKeyFile(layout.ServiceAccountKeyBaseName)), pubPEM, 0o600)
}
