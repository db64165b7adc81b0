package grader

import "testing"

func TestEtcdctlFailure(t *testing.T) {
	tests := []struct {
		name, stdout, stderr, want string
	}{
		{"etcd down, endpoint health -w json",
			`[{"endpoint":"https://127.0.0.1:2379","health":false,"took":"5.0004s","error":"context deadline exceeded"}]`,
			`{"level":"warn","ts":"2026-12-03T08:49:41.888553Z","caller":"flags/flag.go:94","msg":"unrecognized environment variable","environment-variable":"ETCDCTL_API=3"}
{"level":"warn","ts":"2026-12-03T08:52:09.041633Z","logger":"client","caller":"v3@v3.7.3/retry_interceptor.go:68","msg":"retrying of unary invoker failed","target":"etcd-endpoints://0x1e3ab5380800/127.0.0.1:2379","method":"/etcdserverpb.KV/Range","attempt":0,"error":"rpc error: code = DeadlineExceeded desc = latest balancer error: connection error: desc = \"transport: Error while dialing: dial tcp 127.0.0.1:2379: connect: connection refused\""}
Error: unhealthy cluster`,
			"unhealthy cluster: context deadline exceeded: dial tcp 127.0.0.1:2379: connect: connection refused"},
		{"wrong CA",
			"",
			`{"level":"warn","ts":"2026-12-03T09:00:00Z","logger":"client","msg":"retrying of unary invoker failed","error":"rpc error: code = DeadlineExceeded desc = latest balancer error: last connection error: connection error: desc = \"transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate signed by unknown authority\""}
Error: context deadline exceeded`,
			"context deadline exceeded: tls: failed to verify certificate: x509: certificate signed by unknown authority"},
		{"a usage error", "", "Error: unknown flag: --bogus\nUsage:\n  etcdctl [flags]", "unknown flag: --bogus"},
		{"plain text only", "", "open /etc/kubernetes/pki/etcd/ca.crt: no such file or directory", "open /etc/kubernetes/pki/etcd/ca.crt: no such file or directory"},
		{"nothing printed", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := etcdctlFailure(tt.stdout, tt.stderr); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
