package kubeadm

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ckat/ckat/internal/testbin"

	"github.com/stretchr/testify/require"
	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
)

// freeURL returns scheme://127.0.0.1:PORT for a port free right now.
func freeURL(t *testing.T, scheme string) url.URL {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return url.URL{Scheme: scheme, Host: addr}
}

// startEtcd runs an embedded etcd serving with the generated server and
// peer certificates and requiring client certificates, as etcd.yaml says.
func startEtcd(t *testing.T, root string) string {
	t.Helper()
	pki := filepath.Join(root, "etc/kubernetes/pki/etcd")
	cfg := embed.NewConfig()
	cfg.Name = "controlplane"
	cfg.Dir = filepath.Join(t.TempDir(), "etcd")
	cfg.LogLevel = "error"
	clientURL, peerURL := freeURL(t, "https"), freeURL(t, "https")
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{clientURL}, []url.URL{clientURL}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peerURL}, []url.URL{peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.ClientTLSInfo = transport.TLSInfo{
		CertFile:       filepath.Join(pki, "server.crt"),
		KeyFile:        filepath.Join(pki, "server.key"),
		TrustedCAFile:  filepath.Join(pki, "ca.crt"),
		ClientCertAuth: true,
	}
	cfg.PeerTLSInfo = transport.TLSInfo{
		CertFile:       filepath.Join(pki, "peer.crt"),
		KeyFile:        filepath.Join(pki, "peer.key"),
		TrustedCAFile:  filepath.Join(pki, "ca.crt"),
		ClientCertAuth: true,
	}
	e, err := embed.StartEtcd(cfg)
	require.NoError(t, err)
	t.Cleanup(e.Close)
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		t.Fatalf("etcd failed: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("etcd not ready after 60s")
	}
	return clientURL.String()
}

func TestEtcdServesGeneratedCertificatesToClientCertificates(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd")
	}
	root := generate(t)
	endpoint := startEtcd(t, root)
	pki := filepath.Join(root, "etc/kubernetes/pki")

	for _, tc := range []struct {
		name      string
		cert, key string
		ca        string
		wantOK    bool
	}{
		{"healthcheck client, as etcdctl on the node", "etcd/healthcheck-client.crt", "etcd/healthcheck-client.key", "etcd/ca.crt", true},
		{"API server's etcd client", "apiserver-etcd-client.crt", "apiserver-etcd-client.key", "etcd/ca.crt", true},
		{"client certificate of the cluster CA", "apiserver-kubelet-client.crt", "apiserver-kubelet-client.key", "etcd/ca.crt", false},
		{"client trusting the cluster CA", "etcd/healthcheck-client.crt", "etcd/healthcheck-client.key", "ca.crt", false},
		{"no client certificate", "", "", "etcd/ca.crt", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info := transport.TLSInfo{TrustedCAFile: filepath.Join(pki, tc.ca)}
			if tc.cert != "" {
				info.CertFile, info.KeyFile = filepath.Join(pki, tc.cert), filepath.Join(pki, tc.key)
			}
			tlsConfig, err := info.ClientConfig()
			require.NoError(t, err)
			cli, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, TLS: tlsConfig, DialTimeout: 5 * time.Second})
			require.NoError(t, err)
			defer cli.Close()

			timeout := 10 * time.Second
			if !tc.wantOK {
				timeout = 2 * time.Second // a refused handshake is retried until the deadline
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			_, err = cli.Put(ctx, "/registry/ckat/"+tc.name, "v")
			if !tc.wantOK {
				require.Error(t, err, "etcd must refuse this client")
				return
			}
			require.NoError(t, err)
			got, err := cli.Get(ctx, "/registry/ckat/"+tc.name)
			require.NoError(t, err)
			require.Len(t, got.Kvs, 1)
			require.Equal(t, "v", string(got.Kvs[0].Value))
		})
	}
}

// TestEtcdManifestCommandRunsRealEtcd runs etcd.yaml's command with ckat's
// etcd (bin/ckat as argv[0] "etcd"): every flag kubeadm writes is one etcd
// v3.7 takes, the probes' metrics endpoint answers, and clients reach etcd
// on both client URLs. The node IP is 127.0.0.2 (on lo like a lab's node
// IP), the ports are free ones and the paths are under the generated root.
func TestEtcdManifestCommandRunsRealEtcd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs etcd")
	}
	ckat := testbin.Path(t, "ckat")
	root := t.TempDir()
	require.NoError(t, Generate(root, Config{NodeIP: "127.0.0.2"}))
	pod := readPod(t, root, "etcd.yaml")

	ports := map[string]string{}
	for _, p := range []string{":2379", ":2380", ":2381"} {
		u := freeURL(t, "http")
		ports[p] = ":" + u.Port()
	}
	dataDir := filepath.Join(root, "var/lib/etcd")
	var args []string
	for _, arg := range pod.Spec.Containers[0].Command[1:] {
		for from, to := range ports {
			arg = strings.ReplaceAll(arg, from, to)
		}
		arg = strings.ReplaceAll(arg, "=/etc/kubernetes/", "="+root+"/etc/kubernetes/")
		arg = strings.ReplaceAll(arg, "=/var/lib/etcd", "="+dataDir)
		args = append(args, arg)
	}
	cmd := exec.Command(ckat, args...)
	cmd.Args[0] = "etcd"
	logPath := filepath.Join(t.TempDir(), "etcd.log")
	logFile, err := os.Create(logPath)
	require.NoError(t, err)
	defer logFile.Close()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	// The readiness probe: GET http://127.0.0.1:METRICS/readyz.
	probe := pod.Spec.Containers[0].ReadinessProbe.HTTPGet
	readyz := fmt.Sprintf("%s://%s%s%s", strings.ToLower(string(probe.Scheme)), probe.Host, ports[":2381"], probe.Path)
	require.Eventually(t, func() bool {
		resp, err := http.Get(readyz)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, time.Minute, 200*time.Millisecond, "etcd's %s never answered 200; log:\n%s", readyz, readFile(logPath))

	pki := filepath.Join(root, "etc/kubernetes/pki/etcd")
	tlsConfig, err := transport.TLSInfo{
		CertFile:      filepath.Join(pki, "healthcheck-client.crt"),
		KeyFile:       filepath.Join(pki, "healthcheck-client.key"),
		TrustedCAFile: filepath.Join(pki, "ca.crt"),
	}.ClientConfig()
	require.NoError(t, err)
	for _, endpoint := range []string{"https://127.0.0.1" + ports[":2379"], "https://127.0.0.2" + ports[":2379"]} {
		cli, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, TLS: tlsConfig, DialTimeout: 5 * time.Second})
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		status, err := cli.Status(ctx, endpoint)
		cancel()
		cli.Close()
		require.NoError(t, err, endpoint)
		require.NotZero(t, status.Header.MemberId, endpoint)
	}
	require.DirExists(t, filepath.Join(dataDir, "member"), "etcd writes to --data-dir")
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return tail(b, 3000)
}
