package session

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/etcdctl/v3/ctlv3/command"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/client-go/kubernetes/scheme"
)

// storedPod encodes a pod as the API server stores it: "k8s\x00" and a
// protobuf runtime.Unknown.
func storedPod(t *testing.T, name string, annotations map[string]string) []byte {
	t.Helper()
	pod := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kube-system", Annotations: annotations},
	}
	var buf bytes.Buffer
	require.NoError(t, protobuf.NewSerializer(scheme.Scheme, scheme.Scheme).Encode(pod, &buf))
	require.True(t, bytes.HasPrefix(buf.Bytes(), []byte("k8s\x00")))
	return buf.Bytes()
}

func kv(key string, value []byte, lease int64) *mvccpb.KeyValue {
	return &mvccpb.KeyValue{Key: []byte(key), Value: value, Lease: lease}
}

// A reset puts back what setup and the learner made, and leaves alone
// what the node's running processes keep up to date.
func TestKeyspaceChanges(t *testing.T) {
	mirror := map[string]string{corev1.MirrorPodAnnotationKey: "abc"}
	base := []*mvccpb.KeyValue{
		kv("/registry/configmaps/shop/changed", []byte("v1"), 0),
		kv("/registry/configmaps/shop/deleted", []byte("v1"), 0),
		kv("/registry/configmaps/shop/same", []byte("v1"), 0),
		kv("/registry/pods/shop/web-1", storedPod(t, "web-1", nil), 0),
		kv("/registry/pods/kube-system/etcd-controlplane", storedPod(t, "etcd-controlplane", mirror), 0),
		kv("/registry/leases/kube-system/kube-controller-manager", []byte("held at setup"), 0),
		kv("/registry/masterleases/172.30.1.10", []byte("v1"), 7),
		kv("/registry/events/shop/web.1", []byte("count 1"), 5),
		kv("/registry/events/shop/expired.1", []byte("count 1"), 5),
		kv("compact_rev_key", []byte("10"), 0),
	}
	now := []*mvccpb.KeyValue{
		kv("/registry/configmaps/shop/changed", []byte("v2"), 0),
		kv("/registry/configmaps/shop/same", []byte("v1"), 0),
		kv("/registry/configmaps/shop/learners", []byte("new"), 0),
		kv("/registry/pods/shop/web-1", storedPod(t, "web-1", map[string]string{"edited": "yes"}), 0),
		kv("/registry/pods/shop/web-2", storedPod(t, "web-2", nil), 0),
		kv("/registry/pods/kube-system/etcd-controlplane", storedPod(t, "etcd-controlplane", map[string]string{corev1.MirrorPodAnnotationKey: "def"}), 0),
		kv("/registry/pods/kube-system/kube-scheduler-controlplane", storedPod(t, "kube-scheduler-controlplane", mirror), 0),
		kv("/registry/leases/kube-system/kube-controller-manager", []byte("renewed since"), 0),
		kv("/registry/leases/kube-system/kube-scheduler", []byte("new holder"), 0),
		kv("/registry/masterleases/172.30.1.10", []byte("v2"), 8),
		kv("/registry/events/shop/web.1", []byte("count 2"), 5),
		kv("/registry/events/shop/learners.1", []byte("count 1"), 9),
		kv("compact_rev_key", []byte("90"), 0),
	}
	got := map[string]string{}
	for _, c := range keyspaceChanges(base, now) {
		if c.Delete {
			got[string(c.Key)] = "delete"
		} else {
			got[string(c.Key)] = "put " + string(c.Value)
		}
	}
	require.Equal(t, map[string]string{
		"/registry/configmaps/shop/changed":  "put v1",
		"/registry/configmaps/shop/deleted":  "put v1",
		"/registry/configmaps/shop/learners": "delete",
		"/registry/pods/shop/web-1":          "put " + string(base[3].Value),
		"/registry/pods/shop/web-2":          "delete",
		"/registry/events/shop/learners.1":   "delete",
	}, got)

	require.Empty(t, keyspaceChanges(base, base), "a lab as setup left it needs no write")
}

// Every key and value, binary ones included, reaches etcd as it was: the
// scripts are read back the way etcdctl txn reads them (command.Argify).
func TestTxnScriptsAsEtcdctlReadsThem(t *testing.T) {
	values := [][]byte{
		[]byte("k8s\x00\n\x02v1\x12\x03Pod"),
		[]byte(`{"kind":"Secret","data":{"a":"\"quoted\" and \\ back"}}`),
		[]byte("-starts like a flag"),
		[]byte("ünïcode\r\n\t'single'"),
		{0xff, 0xfe, 0x00, '"'},
	}
	var changes []keyChange
	for i, v := range values {
		changes = append(changes, keyChange{Key: []byte("/registry/secrets/ns/s" + strconv.Itoa(i)), Value: v})
	}
	changes = append(changes, keyChange{Key: []byte("/registry/configmaps/ns/with space"), Delete: true})
	scripts := txnScripts(changes)
	require.Len(t, scripts, 1)
	lines := strings.Split(scripts[0], "\n")
	// No comparisons, the operations, no operations on failure.
	require.Equal(t, "", lines[0])
	require.Equal(t, []string{"", "", ""}, lines[len(lines)-3:])
	ops := lines[1 : len(lines)-3]
	require.Len(t, ops, len(changes))
	for i, line := range ops {
		args := command.Argify(line)
		c := changes[i]
		if c.Delete {
			require.Equal(t, []string{"del", "--", string(c.Key)}, args)
			continue
		}
		require.Equal(t, []string{"put", "--", string(c.Key), string(c.Value)}, args)
	}
}

// etcd refuses a transaction of more than 128 operations or 1.5 MiB by
// default: the writes are split.
func TestTxnScriptsSplit(t *testing.T) {
	var changes []keyChange
	for i := range 250 {
		changes = append(changes, keyChange{Key: []byte("/registry/configmaps/ns/c" + strconv.Itoa(i)), Value: []byte("v")})
	}
	scripts := txnScripts(changes)
	require.Len(t, scripts, 3)
	for _, s := range scripts {
		require.LessOrEqual(t, strings.Count(s, "\nput -- "), txnMaxOps)
	}

	big := bytes.Repeat([]byte("x"), 600<<10)
	scripts = txnScripts([]keyChange{{Key: []byte("/a"), Value: big}, {Key: []byte("/b"), Value: big}, {Key: []byte("/c"), Delete: true}})
	require.Len(t, scripts, 2)
	require.Empty(t, txnScripts(nil))
}
