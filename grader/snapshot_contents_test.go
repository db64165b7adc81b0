package grader

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestSnapshotContentsCheck(t *testing.T) {
	te := seededEtcd(t)
	te.put(t, service("shop", "web", 80, 443))
	te.put(t, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "deny-all"}})
	te.put(t, configMap("shop", "gone", map[string]string{"x": "1"}))
	te.delete(t, "/registry/configmaps/shop/gone")
	dir := t.TempDir()
	before := filepath.Join(dir, "before.db")
	te.save(t, before)
	// The incident: a new secret and a changed ConfigMap.
	te.put(t, secret("shop", "late", map[string]string{"token": "abc"}))
	te.put(t, configMap("shop", "settings", map[string]string{"mode": "red", "retries": "3"}))
	after := filepath.Join(dir, "after.db")
	te.save(t, after)
	te.stop()
	copied := filepath.Join(dir, "copied.db")
	raw, err := os.ReadFile(filepath.Join(te.dataDir, "member", "snap", "db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copied, raw, 0o600); err != nil {
		t.Fatal(err)
	}

	present := []ObjectRef{
		{Kind: "Namespace", Name: "shop"},
		{Kind: "ConfigMap", Namespace: "shop", Name: "settings", Data: map[string]string{"mode": "blue", "retries": "3"}},
		{Kind: "Secret", Namespace: "shop", Name: "db", Data: map[string]string{"password": "s3cr3t-value"}},
		{Kind: "Deployment", Namespace: "shop", Name: "web", Image: "nginx:1.27"},
		{Kind: "Service", Namespace: "shop", Name: "web", Port: 443},
		{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy", Namespace: "shop", Name: "deny-all"},
	}
	absent := []ObjectRef{{Kind: "Secret", Namespace: "shop", Name: "late"}}
	withData := func(refs []ObjectRef, i int, data map[string]string) []ObjectRef {
		out := append([]ObjectRef(nil), refs...)
		out[i].Data = data
		return out
	}

	tests := []struct {
		name     string
		file     string
		present  []ObjectRef
		absent   []ObjectRef
		status   Status
		msg      string
		evidence string // a Got or Want that must appear in the evidence
	}{
		{"backup point", before, present, absent, StatusPass, "holds the 6 expected objects and none of the 1 created later", maskSecretValue("s3cr3t-value")},
		{"taken after the incident", after, present, absent, StatusFail,
			"this snapshot was taken after the incident: it holds Secret shop/late created after the backup point", "red"},
		{"changed data", after, present, nil, StatusFail, "ConfigMap shop/settings has different data for mode", "blue"},
		{"secret differs", before, withData(present, 2, map[string]string{"password": "other-value"}), nil, StatusFail,
			"Secret shop/db has different data for password", maskSecretValue("other-value")},
		{"extra key", before, withData(present, 1, map[string]string{"mode": "blue"}), nil, StatusFail,
			"ConfigMap shop/settings has different data for retries", "(absent)"},
		{"deleted before the snapshot", before, []ObjectRef{{Kind: "ConfigMap", Namespace: "shop", Name: "gone"}}, nil, StatusFail,
			"ConfigMap shop/gone is not in the snapshot", "missing"},
		{"wrong image", before, []ObjectRef{{Kind: "Deployment", Namespace: "shop", Name: "web", Image: "nginx:1.28"}}, nil, StatusFail,
			`has image "nginx:1.27", want "nginx:1.28"`, "nginx:1.27"},
		{"service without the port", before, []ObjectRef{{Kind: "Service", Namespace: "shop", Name: "web", Port: 8080}}, nil, StatusFail,
			"Service shop/web has no port 8080 (ports: 80, 443)", "80, 443"},
		{"a service is under /registry/services/specs", before, []ObjectRef{{Kind: "Service", Namespace: "shop", Name: "gone"}}, nil, StatusFail,
			"Service shop/gone is not in the snapshot", "missing"},
		{"a kind by apiVersion, absent", before, nil, []ObjectRef{{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy", Namespace: "shop", Name: "deny-all"}}, StatusFail,
			"it holds NetworkPolicy shop/deny-all created after the backup point", "present"},
		{"copy of member/snap/db still readable", copied, present[:1], nil, StatusPass, "holds the 1 expected objects", "present"},
		{"missing file", filepath.Join(dir, "nope.db"), present, nil, StatusFail, "no snapshot at", "missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newRootedNode(t)
			if data, err := os.ReadFile(tt.file); err == nil {
				n.write(t, snapPath, data)
			}
			res := (&SnapshotContentsCheck{Path: snapPath, Present: tt.present, Absent: tt.absent}).Run(context.Background(), Target{Node: n})
			if res.Status != tt.status || !strings.Contains(res.Message, tt.msg) {
				t.Fatalf("got %s %q, want %s containing %q", res.Status, res.Message, tt.status, tt.msg)
			}
			found := false
			for _, e := range res.Evidence {
				if strings.Contains(e.Got+e.Want, "s3cr3t-value") {
					t.Errorf("evidence shows a secret value: %+v", e)
				}
				found = found || e.Got == tt.evidence || e.Want == tt.evidence
			}
			if !found {
				t.Errorf("no evidence row with %q: %+v", tt.evidence, res.Evidence)
			}
		})
	}
}
