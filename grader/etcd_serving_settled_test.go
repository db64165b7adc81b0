package grader

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ckat/ckat/internal/kubeadm"
	"github.com/ckat/ckat/labs"
)

// reportingNode is a rootedNode whose kubelet reports its static pods.
type reportingNode struct {
	*rootedNode
	pods []labs.StaticPodStatus
}

func (n reportingNode) StaticPods(context.Context) ([]labs.StaticPodStatus, error) {
	return n.pods, nil
}

// TestEtcdServingSettled: etcd answers from the original directory, not
// the restored one. While the kubelet has run etcd's manifest as it is,
// and no second file defines the etcd pod, that cannot change: the check
// fails after a second instead of polling to its timeout. Where etcd may
// still be restarted (its manifest changed after it started, or a second
// manifest could win the next re-read), it polls on.
func TestEtcdServingSettled(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the built ckat as etcdctl")
	}
	tests := []struct {
		name      string
		started   func(manifestWritten time.Time) time.Time
		duplicate bool
		settled   bool
	}{
		{"running the manifest as it is", func(m time.Time) time.Time { return m.Add(time.Second) }, false, true},
		{"started before its manifest changed", func(m time.Time) time.Time { return m.Add(-time.Hour) }, false, false},
		{"a second manifest for etcd", func(m time.Time) time.Time { return m.Add(time.Second) }, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newRootedNode(t)
			pki := newEtcdPKI(t)
			etcdctlNode(t, n, pki, "/var/lib/etcd")
			endpoint := originalAfterRestore(t, n, pki).endpoint
			if tt.duplicate {
				n.write(t, kubeadm.EtcdManifest+".bak", readTestdata(t, "../../internal/staticpod/testdata/valid-etcd-kubeadm.yaml"))
			}
			fi, err := n.Stat(context.Background(), kubeadm.EtcdManifest)
			if err != nil {
				t.Fatal(err)
			}
			node := reportingNode{n, []labs.StaticPodStatus{{Name: "etcd-controlplane", Manifest: kubeadm.EtcdManifest,
				Running: true, StartedAt: tt.started(fi.ModTime())}}}
			timeout := 4 * time.Second
			began := time.Now()
			r := (&EtcdServingCheck{Endpoint: endpoint, DataDir: restoredDir, Timeout: Duration{timeout}}).Run(context.Background(), Target{Node: node})
			took := time.Since(began)
			if r.Status != StatusFail || !strings.Contains(r.Message, "etcd is not serving /var/lib/etcd-from-backup") {
				t.Fatalf("Run = %s %q, want a fail saying etcd does not serve the restored dir", r.Status, r.Message)
			}
			settled := strings.Contains(r.Message, "etcd has run /etc/kubernetes/manifests/etcd.yaml as it is since")
			switch {
			case tt.settled && (!settled || took >= timeout):
				t.Errorf("Run = %q after %s, want it to stop before its %s timeout, saying etcd runs its manifest as it is", r.Message, took, timeout)
			case !tt.settled && (settled || took < timeout):
				t.Errorf("Run = %q after %s, want it to poll to its %s timeout: etcd may still be restarted", r.Message, took, timeout)
			}
		})
	}
}
