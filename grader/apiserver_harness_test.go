package grader

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ckat/ckat/internal/testbin"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"
)

// testAPIServer is a real kube-apiserver (bin/kube-apiserver) backed by an
// etcd embedded in the test binary, with throwaway certificates, shared by
// the package's tests and stopped by TestMain.
type testAPIServer struct {
	dir    string
	etcd   *embed.Etcd
	cmd    *exec.Cmd
	exited chan struct{}
	log    string
	config *rest.Config
	// bin and args start kube-apiserver again after a stop.
	bin  string
	args []string
	// etcdClient and etcdPeer are etcd's URLs, kept when etcd is
	// restarted on another data directory.
	etcdClient, etcdPeer url.URL

	stopOnce sync.Once
}

var sharedAPIServer struct {
	once sync.Once
	srv  *testAPIServer
	err  error
}

// TestMain stops the shared API server once every test has run.
func TestMain(m *testing.M) {
	code := m.Run()
	if sharedAPIServer.srv != nil {
		sharedAPIServer.srv.stop()
	}
	os.Exit(code)
}

// apiServerForTest returns the shared API server, starting it on first use.
// It is an integration test's dependency: skipped with -short only.
func apiServerForTest(tb testing.TB) *testAPIServer {
	tb.Helper()
	if testing.Short() {
		tb.Skip("starts etcd and kube-apiserver; skipped with -short")
	}
	sharedAPIServer.once.Do(func() {
		sharedAPIServer.srv, sharedAPIServer.err = startTestAPIServer()
	})
	if sharedAPIServer.err != nil {
		tb.Fatal(sharedAPIServer.err)
	}
	return sharedAPIServer.srv
}

// client returns a clientset for the test API server.
func (s *testAPIServer) client(tb testing.TB) kubernetes.Interface {
	tb.Helper()
	c, err := kubernetes.NewForConfig(s.config)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func startTestAPIServer() (_ *testAPIServer, err error) {
	bin, err := testbin.Find("kube-apiserver")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "ckat-grader-apiserver-")
	if err != nil {
		return nil, err
	}
	s := &testAPIServer{dir: dir, log: filepath.Join(dir, "kube-apiserver.log")}
	defer func() {
		if err != nil {
			s.stop()
		}
	}()
	etcdURL, err := s.startEtcd()
	if err != nil {
		return nil, err
	}
	pki, err := writeTestPKI(filepath.Join(dir, "pki"))
	if err != nil {
		return nil, fmt.Errorf("certificates: %w", err)
	}
	port, err := unusedPort()
	if err != nil {
		return nil, err
	}
	s.bin = bin
	s.args = []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", fmt.Sprintf("--secure-port=%d", port),
		"--tls-cert-file=" + pki.file("apiserver.crt"), "--tls-private-key-file=" + pki.file("apiserver.key"),
		"--client-ca-file=" + pki.file("ca.crt"),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + pki.file("sa.key"), "--service-account-signing-key-file=" + pki.file("sa.key"),
		"--service-cluster-ip-range=10.96.0.0/12",
		"--authorization-mode=Node,RBAC", "--allow-privileged=true",
		// A loopback advertise address is only allowed without the
		// endpoint reconciler.
		"--endpoint-reconciler-type=none",
		"--cert-dir=" + filepath.Join(dir, "certs"),
	}
	s.config = &rest.Config{
		Host: fmt.Sprintf("https://127.0.0.1:%d", port),
		TLSClientConfig: rest.TLSClientConfig{
			CAData: pki.pem["ca.crt"], CertData: pki.pem["admin.crt"], KeyData: pki.pem["admin.key"],
		},
	}
	if err := s.startKubeAPIServer(); err != nil {
		return nil, err
	}
	return s, nil
}

// startKubeAPIServer starts kube-apiserver with s.args and waits until it
// is ready.
func (s *testAPIServer) startKubeAPIServer() error {
	logFile, err := os.OpenFile(s.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(s.bin, s.args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", s.bin, err)
	}
	exited := make(chan struct{})
	s.cmd, s.exited = cmd, exited
	go func() { _ = cmd.Wait(); close(exited) }()
	return s.waitReady(90 * time.Second)
}

// stopKubeAPIServer stops kube-apiserver, killing it after 10s.
func (s *testAPIServer) stopKubeAPIServer() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM) // it may have exited
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}

func (s *testAPIServer) startEtcd() (string, error) {
	clientPort, err := unusedPort()
	if err != nil {
		return "", err
	}
	peerPort, err := unusedPort()
	if err != nil {
		return "", err
	}
	s.etcdClient = url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", clientPort)}
	s.etcdPeer = url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", peerPort)}
	return s.startEtcdOn(filepath.Join(s.dir, "etcd"))
}

// startEtcdOn starts etcd on dataDir at s's etcd URLs.
func (s *testAPIServer) startEtcdOn(dataDir string) (string, error) {
	cfg := embed.NewConfig()
	cfg.Name = "controlplane"
	cfg.Dir = dataDir
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	client, peer := s.etcdClient, s.etcdPeer
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
	cfg.InitialCluster = cfg.Name + "=" + peer.String()
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return "", fmt.Errorf("starting etcd: %w", err)
	}
	s.etcd = e
	select {
	case <-e.Server.ReadyNotify():
		return client.String(), nil
	case <-time.After(30 * time.Second):
		return "", errors.New("etcd did not become ready in 30s")
	}
}

// waitReady polls /readyz until it answers ok.
func (s *testAPIServer) waitReady(timeout time.Duration) error {
	client, err := kubernetes.NewForConfig(s.config)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			out, _ := os.ReadFile(s.log)
			return fmt.Errorf("kube-apiserver exited: %s", tail(out, 2000))
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, last = client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		cancel()
		if last == nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("kube-apiserver not ready in %s: %v (log %s)", timeout, last, s.log)
}

func (s *testAPIServer) stop() {
	s.stopOnce.Do(s.doStop)
}

func (s *testAPIServer) doStop() {
	s.stopKubeAPIServer()
	if s.etcd != nil {
		s.etcd.Close()
	}
	os.RemoveAll(s.dir)
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

func unusedPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// testPKI is a throwaway CA with a serving certificate for 127.0.0.1, an
// admin client certificate (system:masters) and a service account key.
type testPKI struct {
	dir string
	pem map[string][]byte
}

func (p testPKI) file(name string) string { return filepath.Join(p.dir, name) }

func writeTestPKI(dir string) (testPKI, error) {
	p := testPKI{dir: dir, pem: map[string][]byte{}}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return p, err
	}
	ca, err := cert.NewSelfSignedCACert(cert.Config{CommonName: "kubernetes"}, caKey)
	if err != nil {
		return p, err
	}
	p.pem["ca.crt"] = encodeCert(ca)
	leaves := []struct {
		name  string
		tmpl  x509.Certificate
		usage x509.ExtKeyUsage
	}{
		{"apiserver", x509.Certificate{Subject: pkix.Name{CommonName: "kube-apiserver"},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.96.0.1")}, DNSNames: []string{"localhost", "kubernetes"}},
			x509.ExtKeyUsageServerAuth},
		{"admin", x509.Certificate{Subject: pkix.Name{CommonName: "kubernetes-admin", Organization: []string{"system:masters"}}},
			x509.ExtKeyUsageClientAuth},
	}
	for i, leaf := range leaves {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return p, err
		}
		tmpl := leaf.tmpl
		tmpl.SerialNumber = big.NewInt(int64(i + 2))
		tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{leaf.usage}
		der, err := x509.CreateCertificate(rand.Reader, &tmpl, ca, key.Public(), crypto.Signer(caKey))
		if err != nil {
			return p, err
		}
		keyPEM, err := keyutil.MarshalPrivateKeyToPEM(key)
		if err != nil {
			return p, err
		}
		p.pem[leaf.name+".crt"] = pemBlock(der)
		p.pem[leaf.name+".key"] = keyPEM
	}
	sa, err := keyutil.MakeEllipticPrivateKeyPEM()
	if err != nil {
		return p, err
	}
	p.pem["sa.key"] = sa
	for name, data := range p.pem {
		if err := keyutil.WriteKey(p.file(name), data); err != nil {
			return p, err
		}
	}
	return p, nil
}

func encodeCert(c *x509.Certificate) []byte {
	b, _ := cert.EncodeCertificates(c)
	return b
}

func pemBlock(der []byte) []byte {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil
	}
	return encodeCert(c)
}
