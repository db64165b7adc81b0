package session

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"google.golang.org/protobuf/proto"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/ckat/ckat/internal/kubeadm"
	"github.com/ckat/ckat/labs"
)

// The keyspace is etcd's content as a client reads it. The baseline keeps
// it (baseline/keyspace.pb, an etcd RangeResponse) so that a reset can put
// the objects back through etcd itself, with etcd and the API server left
// running (see resetInPlace): the API server's watch cache, its
// controllers and the learner's tools then see the change as any other
// write, at a newer revision.
const keyspaceFile = "keyspace.pb"

// Bounds of one etcdctl txn: etcd refuses a transaction of more than 128
// operations (--max-txn-ops) or of a request over 1.5 MiB
// (--max-request-bytes), by default.
const (
	txnMaxOps   = 100
	txnMaxBytes = 1 << 20
)

// etcdctl runs etcdctl on the node against the node's etcd, with the
// client certificate the API server uses, and returns what it printed.
func etcdctl(ctx context.Context, node labs.Node, stdin io.Reader, args ...string) ([]byte, error) {
	full := append([]string{
		"etcdctl",
		"--endpoints=" + kubeadm.EtcdLocalClientURL(),
		"--cacert=" + kubeadm.CertFile(kubeadm.EtcdCACertAndKeyBaseName),
		"--cert=" + kubeadm.CertFile(kubeadm.APIServerEtcdClientCertAndKeyBaseName),
		"--key=" + kubeadm.KeyFile(kubeadm.APIServerEtcdClientCertAndKeyBaseName),
		"--command-timeout=10s",
	}, args...)
	var stdout, stderr bytes.Buffer
	err := node.Exec(ctx, labs.Command{Args: full, Stdin: stdin, Stdout: &stdout, Stderr: &stderr, Env: []string{"ETCDCTL_API=3"}})
	if err != nil {
		return nil, fmt.Errorf("etcdctl %s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// readKeyspace reads every key the node's etcd holds, as etcdctl's
// protobuf output: a RangeResponse.
func readKeyspace(ctx context.Context, node labs.Node) ([]byte, error) {
	return etcdctl(ctx, node, nil, "get", "", "--prefix", "-w", "protobuf")
}

// decodeKeyspace decodes what readKeyspace returned.
func decodeKeyspace(data []byte) ([]*mvccpb.KeyValue, error) {
	var r pb.RangeResponse
	if err := proto.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decoding etcd's keys: %w", err)
	}
	if r.More {
		return nil, fmt.Errorf("etcd returned part of its keys only")
	}
	return r.Kvs, nil
}

// keyChange is one write that puts a key back: its baseline value, or
// its deletion.
type keyChange struct {
	Key    []byte
	Value  []byte
	Delete bool
}

// keyspaceChanges returns the writes that give every key a reset puts
// back its value in base, given the keys now: a value that differs or is
// missing is written again, a key base lacks is deleted. A reset puts
// back what setup and the learner made, and leaves alone what the node's
// own processes keep up to date while they run (keptByNode): a stopped
// etcd copied back has them as they were, but a running one must not
// have its live records turned back.
func keyspaceChanges(base, now []*mvccpb.KeyValue) []keyChange {
	want := make(map[string]*mvccpb.KeyValue, len(base))
	for _, kv := range base {
		want[string(kv.Key)] = kv
	}
	var out []keyChange
	seen := make(map[string]bool, len(now))
	for _, kv := range now {
		k := string(kv.Key)
		seen[k] = true
		b, ok := want[k]
		switch {
		case keptByNode(kv) || ok && keptByNode(b):
		case !ok:
			out = append(out, keyChange{Key: kv.Key, Delete: true})
		case expires(kv) || expires(b):
			// An event the API server wrote again (its count went up)
			// expires by itself.
		case !bytes.Equal(kv.Value, b.Value):
			out = append(out, keyChange{Key: b.Key, Value: b.Value})
		}
	}
	for _, b := range base {
		if !seen[string(b.Key)] && !keptByNode(b) && !expires(b) {
			out = append(out, keyChange{Key: b.Key, Value: b.Value})
		}
	}
	return out
}

// keptByNode says whether a key is one the node's running processes keep
// up to date themselves, so that a reset leaves it as they have it:
//   - anything outside /registry/: etcd's and the API server's own
//     bookkeeping (compact_rev_key, which its compactor compares);
//   - leases (/registry/leases/: leader election of kube-controller-manager
//     and kube-scheduler, the node's heartbeat, the API server's identity)
//     and the API server's endpoint leases (/registry/masterleases/), whose
//     holders would find their own record turned back;
//   - mirror pods, which the kubelet keeps in step with its static pods
//     (pkg/kubelet/pod/mirror_client.go): it recreates one it finds stale.
func keptByNode(kv *mvccpb.KeyValue) bool {
	k := string(kv.Key)
	switch {
	case !strings.HasPrefix(k, "/registry/"),
		strings.HasPrefix(k, "/registry/leases/"),
		strings.HasPrefix(k, "/registry/masterleases/"):
		return true
	case strings.HasPrefix(k, "/registry/pods/"):
		return isMirrorPod(kv.Value)
	}
	return false
}

// expires says whether a key is bound to an etcd lease, as the API server
// writes events: etcd deletes it when its lease runs out, so a reset
// deletes one made since the baseline and leaves the others to expire.
func expires(kv *mvccpb.KeyValue) bool { return kv.Lease != 0 }

// isMirrorPod says whether a stored value is a Pod with the kubelet's
// mirror annotation.
func isMirrorPod(value []byte) bool {
	obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(value, nil, nil)
	if err != nil {
		return false
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return false
	}
	_, mirror := pod.Annotations[corev1.MirrorPodAnnotationKey]
	return mirror
}

// txnScripts writes changes as the standard input of `etcdctl txn`: no
// comparisons, then the operations, each key and value quoted as Go
// strings (etcdctl reads a double-quoted argument with fmt's %q) after
// "--", in as many transactions as etcd's limits need.
func txnScripts(changes []keyChange) []string {
	var out []string
	var b strings.Builder
	ops, size := 0, 0
	flush := func() {
		if ops > 0 {
			// An empty line ends the comparisons, the operations on
			// success and those on failure.
			out = append(out, "\n"+b.String()+"\n\n")
		}
		b.Reset()
		ops, size = 0, 0
	}
	for _, c := range changes {
		var line string
		if c.Delete {
			line = "del -- " + strconv.QuoteToASCII(string(c.Key)) + "\n"
		} else {
			line = "put -- " + strconv.QuoteToASCII(string(c.Key)) + " " + strconv.QuoteToASCII(string(c.Value)) + "\n"
		}
		if ops == txnMaxOps || ops > 0 && size+len(c.Key)+len(c.Value) > txnMaxBytes {
			flush()
		}
		b.WriteString(line)
		ops++
		size += len(c.Key) + len(c.Value)
	}
	flush()
	return out
}

// rewindKeyspace puts back the keys of base on the node's running etcd
// (see keyspaceChanges) and returns how many keys it wrote or deleted.
func rewindKeyspace(ctx context.Context, node labs.Node, base []*mvccpb.KeyValue) (int, error) {
	data, err := readKeyspace(ctx, node)
	if err != nil {
		return 0, err
	}
	now, err := decodeKeyspace(data)
	if err != nil {
		return 0, err
	}
	changes := keyspaceChanges(base, now)
	for _, script := range txnScripts(changes) {
		out, err := etcdctl(ctx, node, strings.NewReader(script), "txn")
		if err != nil {
			return 0, err
		}
		// etcdctl prints SUCCESS, then each operation's response.
		if !bytes.HasPrefix(out, []byte("SUCCESS")) {
			return 0, fmt.Errorf("etcdctl txn: %s", strings.TrimSpace(string(out)))
		}
	}
	return len(changes), nil
}
