package grader

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestEtcdServersCheck: every spelling of a URL etcd serves clients at is
// right; the peer port, plain http and another port are not.
func TestEtcdServersCheck(t *testing.T) {
	api := string(readTestdata(t, "../../internal/staticpod/testdata/valid-kube-apiserver.yaml"))
	etcd := string(readTestdata(t, "../../internal/staticpod/testdata/valid-etcd-kubeadm.yaml"))
	const orig = "--etcd-servers=https://127.0.0.1:2379"
	if !strings.Contains(api, orig) {
		t.Fatalf("testdata's kube-apiserver manifest does not set %s", orig)
	}
	tests := []struct {
		servers string // "" leaves the flag out
		etcd    string // etcd's --listen-client-urls; "" keeps kubeadm's
		status  Status
		message string
	}{
		{"https://127.0.0.1:2379", "", StatusPass, `reaches etcd where it serves clients (--listen-client-urls https://127.0.0.1:2379,https://172.30.1.10:2379)`},
		{"https://localhost:2379", "", StatusPass, "reaches etcd"},
		{"https://172.30.1.10:2379", "", StatusPass, "reaches etcd"},
		{"https://127.0.0.1:2379,https://172.30.1.10:2379", "", StatusPass, "reaches etcd"},
		{"https://172.30.1.10:2379", "https://0.0.0.0:2379", StatusPass, "reaches etcd"},
		{"https://10.0.0.1:2379", "https://0.0.0.0:2379", StatusFail, "etcd serves no clients at 10.0.0.1:2379"},
		{"https://127.0.0.1:2379", "https://0.0.0.0:2379", StatusPass, "reaches etcd"},
		{"https://127.0.0.1:2380", "", StatusFail, "https://127.0.0.1:2380 is etcd's peer port 2380 (--listen-peer-urls), for other etcd members; clients use 2379"},
		{"http://127.0.0.1:2379", "", StatusFail, "http://127.0.0.1:2379 is plain http, but etcd serves clients at 127.0.0.1:2379 over TLS (https)"},
		{"https://127.0.0.1:2379,https://172.30.1.10:2380", "", StatusFail, "https://172.30.1.10:2380 is etcd's peer port"},
		{"https://127.0.0.1:12379", "", StatusFail, "etcd serves no clients at 127.0.0.1:12379 (its --listen-client-urls are https://127.0.0.1:2379,https://172.30.1.10:2379)"},
		{"https://127.0.0.1", "", StatusFail, "https://127.0.0.1 names no port; etcd's client port is 2379"},
		{"127.0.0.1:2379", "", StatusFail, `"127.0.0.1:2379" is not a URL`},
		{"", "", StatusFail, "does not set --etcd-servers in container kube-apiserver"},
	}
	for _, tt := range tests {
		t.Run(tt.servers+" "+tt.etcd, func(t *testing.T) {
			node := newHostDirNode(t)
			flag := ""
			if tt.servers != "" {
				flag = "--etcd-servers=" + tt.servers
			}
			node.writeNodeFile(t, apiServerManifest, []byte(strings.Replace(api, orig, flag, 1)))
			e := etcd
			if tt.etcd != "" {
				e = strings.Replace(e, "--listen-client-urls=https://127.0.0.1:2379,https://172.30.1.10:2379", "--listen-client-urls="+tt.etcd, 1)
			}
			node.writeNodeFile(t, "/etc/kubernetes/manifests/etcd.yaml", []byte(e))
			r := (&EtcdServersCheck{}).Run(context.Background(), Target{Node: node})
			if r.Status != tt.status || !strings.Contains(r.Message, tt.message) {
				t.Fatalf("Run = %s %q, want %s containing %q", r.Status, r.Message, tt.status, tt.message)
			}
			if len(r.Evidence) != 1 || !strings.HasPrefix(r.Evidence[0].Got, tt.servers) || !strings.Contains(r.Evidence[0].Want, "https://localhost:2379") {
				t.Errorf("evidence = %+v, want the flag's value against the URLs etcd serves", r.Evidence)
			}
		})
	}
}

// TestAPIServerReadyNeverReachesEtcd: an API server whose --etcd-servers
// reaches no port where etcd serves clients is reported at once as never
// becoming ready, with the flag as evidence; one whose URLs may reach etcd
// (a host name the grader cannot resolve, or one right URL in the list)
// is waited for as before.
func TestAPIServerReadyNeverReachesEtcd(t *testing.T) {
	api := string(readTestdata(t, "../../internal/staticpod/testdata/valid-kube-apiserver.yaml"))
	etcd := readTestdata(t, "../../internal/staticpod/testdata/valid-etcd-kubeadm.yaml")
	const orig = "--etcd-servers=https://127.0.0.1:2379"
	tests := []struct {
		servers string
		want    string // in the message when it stops at once; "" when it waits
	}{
		{"https://127.0.0.1:2380", "its --etcd-servers \"https://127.0.0.1:2380\" reaches no port where etcd serves clients: https://127.0.0.1:2380 is etcd's peer port"},
		{"http://127.0.0.1:2379", "is plain http, but etcd serves clients at 127.0.0.1:2379 over TLS"},
		{"https://127.0.0.1:2381,http://172.30.1.10:2379", "etcd serves no clients at 127.0.0.1:2381"},
		{"https://controlplane:2379", ""},
		{"https://127.0.0.1:2380,https://127.0.0.1:2379", ""},
	}
	for _, tt := range tests {
		t.Run(tt.servers, func(t *testing.T) {
			node := newHostDirNode(t)
			node.writeNodeFile(t, apiServerManifest, []byte(strings.Replace(api, orig, "--etcd-servers="+tt.servers, 1)))
			node.writeNodeFile(t, "/etc/kubernetes/manifests/etcd.yaml", etcd)
			timeout := 2 * time.Second
			if tt.want != "" {
				timeout = time.Minute
			}
			began := time.Now()
			r := (&APIServerReadyCheck{Timeout: Duration{timeout}}).Run(context.Background(), Target{RESTConfig: refusedConfig(t), Node: node})
			took := time.Since(began)
			switch {
			case r.Status != StatusFail:
				t.Fatalf("Run = %s %q, want fail", r.Status, r.Message)
			case tt.want != "" && (!strings.Contains(r.Message, tt.want) || took > 10*time.Second || r.Evidence[0].Got != tt.servers):
				t.Errorf("Run = %q, evidence %+v after %s; want at once %q with the flag as evidence", r.Message, r.Evidence, took, tt.want)
			case tt.want == "" && took < time.Second:
				t.Errorf("Run = %q after %s, want it to wait: the API server may still reach etcd", r.Message, took)
			}
		})
	}
}
