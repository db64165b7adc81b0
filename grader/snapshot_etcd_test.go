package grader

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/etcdutl/v3/snapshot"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/ckat/ckat/grader/internal/etcddata"
)

// testEtcd is a real etcd server embedded in the test, serving a data dir
// under t.TempDir().
type testEtcd struct {
	e        *embed.Etcd
	client   *clientv3.Client
	dataDir  string
	endpoint string
	peerPort int
	tls      *tls.Config
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startEtcd starts etcd on dataDir (a fresh one when empty); tls, when
// non-nil, serves clients over TLS with client certificate auth; each of
// opts changes etcd's configuration.
func startEtcd(t testing.TB, dataDir string, pki *etcdPKI, opts ...func(*embed.Config)) *testEtcd {
	t.Helper()
	if dataDir == "" {
		dataDir = filepath.Join(t.TempDir(), "etcd")
	}
	// A port found free may be taken before etcd binds it (by another
	// test's outgoing connection, from the same ephemeral range): draw
	// new ones then.
	te, err := startEtcdOn(dataDir, pki, freePort(t), freePort(t), opts...)
	for try := 1; err != nil && strings.Contains(err.Error(), "address already in use") && try < 5; try++ {
		te, err = startEtcdOn(dataDir, pki, freePort(t), freePort(t), opts...)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(te.stop)
	return te
}

// startEtcdOn starts etcd on dataDir serving clients on clientPort; it
// does not fail the test, so that it can run off the test's goroutine.
// The caller stops it.
func startEtcdOn(dataDir string, pki *etcdPKI, clientPort, peerPort int, opts ...func(*embed.Config)) (*testEtcd, error) {
	cfg := embed.NewConfig()
	cfg.Name = "controlplane"
	cfg.Dir = dataDir
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	scheme := "http"
	if pki != nil {
		scheme = "https"
		cfg.ClientTLSInfo.CertFile = pki.serverCert
		cfg.ClientTLSInfo.KeyFile = pki.serverKey
		cfg.ClientTLSInfo.TrustedCAFile = pki.caCert
		cfg.ClientTLSInfo.ClientCertAuth = true
	}
	client := url.URL{Scheme: scheme, Host: fmt.Sprintf("127.0.0.1:%d", clientPort)}
	peer := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", peerPort)}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
	cfg.InitialCluster = cfg.Name + "=" + peer.String()
	cfg.MaxRequestBytes = 4 << 20
	for _, o := range opts {
		o(cfg)
	}
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("starting etcd: %w", err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(30 * time.Second):
		e.Close()
		return nil, errors.New("etcd did not become ready in 30s")
	}
	te := &testEtcd{e: e, dataDir: dataDir, endpoint: client.String(), peerPort: peerPort}
	ccfg := clientv3.Config{Endpoints: []string{te.endpoint}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()}
	if pki != nil {
		te.tls, err = pki.tlsConfig()
		if err != nil {
			e.Close()
			return nil, err
		}
		ccfg.TLS = te.tls
	}
	te.client, err = clientv3.New(ccfg)
	if err != nil {
		e.Close()
		return nil, err
	}
	return te, nil
}

func (te *testEtcd) stop() {
	if te.e == nil {
		return
	}
	te.client.Close()
	te.e.Close()
	te.e = nil
}

// put stores a Kubernetes object the way the API server does.
func (te *testEtcd) put(t testing.TB, obj runtime.Object) int64 {
	t.Helper()
	key, value := encodeObject(t, obj)
	resp, err := te.client.Put(context.Background(), key, string(value))
	if err != nil {
		t.Fatal(err)
	}
	return resp.Header.Revision
}

func (te *testEtcd) delete(t testing.TB, key string) {
	t.Helper()
	if _, err := te.client.Delete(context.Background(), key); err != nil {
		t.Fatal(err)
	}
}

func (te *testEtcd) compact(t testing.TB, rev int64) {
	t.Helper()
	if _, err := te.client.Compact(context.Background(), rev, clientv3.WithCompactPhysical()); err != nil {
		t.Fatal(err)
	}
}

// save writes a snapshot as `etcdctl snapshot save` does and returns its
// revision.
func (te *testEtcd) save(t testing.TB, path string) {
	t.Helper()
	cfg := clientv3.Config{Endpoints: []string{te.endpoint}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()}
	cfg.TLS = te.tls
	if _, err := snapshot.NewV3(zap.NewNop()).Save(context.Background(), cfg, path); err != nil {
		t.Fatalf("snapshot save: %v", err)
	}
}

// restore runs `etcdutl snapshot restore` into dir.
func restore(t testing.TB, snap, dir string, bump uint64) {
	t.Helper()
	cfg := snapshot.RestoreConfig{
		SnapshotPath:        snap,
		Name:                "controlplane",
		OutputDataDir:       dir,
		PeerURLs:            []string{"http://127.0.0.1:2380"},
		InitialCluster:      "controlplane=http://127.0.0.1:2380",
		InitialClusterToken: "etcd-cluster",
		SkipHashCheck:       !etcddata.HasTrailer(fileSize(t, snap)),
		RevisionBump:        bump,
		MarkCompacted:       bump > 0,
	}
	if err := snapshot.NewV3(zap.NewNop()).Restore(cfg); err != nil {
		t.Fatalf("snapshot restore: %v", err)
	}
}

func fileSize(t testing.TB, p string) int64 {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// encodeObject encodes obj with the scheme's protobuf codec ("k8s\x00"
// and a runtime.Unknown) and returns its storage key.
func encodeObject(t testing.TB, obj runtime.Object) (string, []byte) {
	t.Helper()
	info, ok := runtime.SerializerInfoForMediaType(scheme.Codecs.SupportedMediaTypes(), runtime.ContentTypeProtobuf)
	if !ok {
		t.Fatal("no protobuf serializer")
	}
	gvks, _, err := scheme.Scheme.ObjectKinds(obj)
	if err != nil {
		t.Fatal(err)
	}
	gv := gvks[0].GroupVersion()
	obj.GetObjectKind().SetGroupVersionKind(gvks[0])
	value, err := runtime.Encode(scheme.Codecs.EncoderForVersion(info.Serializer, gv), obj)
	if err != nil {
		t.Fatal(err)
	}
	m := obj.(metav1.Object)
	key, err := etcddata.StorageKey(gvks[0], m.GetNamespace(), m.GetName())
	if err != nil {
		t.Fatal(err)
	}
	return key, value
}

func configMap(ns, name string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: data}
}

func secret(ns, name string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func namespace(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

func deployment(ns, name, image string) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "app", Image: image}},
		}}},
	}
}

func service(ns, name string, ports ...int32) *corev1.Service {
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	for _, p := range ports {
		s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: fmt.Sprint("p", p), Port: p})
	}
	return s
}
