package grader

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	yamlv3 "gopkg.in/yaml.v3"
	"sigs.k8s.io/yaml"
)

func TestRun(t *testing.T) {
	apiserver, err := os.ReadFile("../internal/staticpod/testdata/valid-kube-apiserver.yaml")
	if err != nil {
		t.Fatal(err)
	}
	node := newHostDirNode(t)
	node.writeNodeFile(t, apiServerManifest, apiserver)
	specs := []CheckSpec{
		{Name: "apiserver-back", Points: 2, Hint: "move it back", ManifestPresent: &ManifestPresentCheck{Path: apiServerManifest}},
		{Name: "etcd-volume", Hint: "edit the etcd-data volume", EtcdDataVolume: &EtcdDataVolumeCheck{DataDir: restoredDataDir}},
		{Name: "no-node", Hint: "h", ManifestArg: &ManifestArgCheck{Path: apiServerManifest, Flag: "etcd-servers", Want: "x"}},
		{Name: "two-checks", ManifestPresent: &ManifestPresentCheck{Path: "/a"}, ManifestArg: &ManifestArgCheck{Path: "/a", Flag: "f", Want: "w"}},
	}
	want := []struct {
		status        Status
		points, max   int
		hint, message string
		nodeless      bool // run with no node: the check panics
	}{
		{StatusPass, 2, 2, "", "is in place", false},
		{StatusFail, 0, 1, "edit the etcd-data volume", "etcd's manifest is missing", false},
		{StatusError, 0, 1, "h", "the check failed unexpectedly: runtime error: invalid memory address or nil pointer dereference", true},
		{StatusError, 0, 1, "", "invalid check: manifestPresent and manifestArg are all set; a check has exactly one", false},
	}
	for i, spec := range specs {
		target := Target{Lab: "lab1", Node: node}
		if want[i].nodeless {
			target.Node = nil
		}
		got := Run(context.Background(), target, "restore", []CheckSpec{spec})
		if len(got) != 1 {
			t.Fatalf("Run returned %d results for one spec", len(got))
		}
		r, w := got[0], want[i]
		if r.Name != spec.Name || r.Stage != "restore" || r.Status != w.status || r.Points != w.points ||
			r.MaxPoints != w.max || r.Hint != w.hint || !strings.Contains(r.Message, w.message) {
			t.Errorf("%s: got %s %d/%d hint %q %q, want %s %d/%d hint %q containing %q", spec.Name,
				r.Status, r.Points, r.MaxPoints, r.Hint, r.Message, w.status, w.points, w.max, w.hint, w.message)
		}
		if r.Elapsed <= 0 {
			t.Errorf("%s: Elapsed %s, want how long the check took", spec.Name, r.Elapsed)
		}
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := Run(ctx, Target{Node: newHostDirNode(t)}, "", []CheckSpec{{Name: "x", ManifestPresent: &ManifestPresentCheck{Path: "/a"}}})
	if r[0].Status != StatusError || !strings.Contains(r[0].Message, "not run: context canceled") {
		t.Errorf("Run = %s %q, want an error saying it did not run", r[0].Status, r[0].Message)
	}
}

// TestCheckSpecValidate covers what a scenario's lint and Run report
// for a check whose fields are wrong; scenarios add the check's place.
func TestCheckSpecValidate(t *testing.T) {
	tests := []struct {
		name string
		spec CheckSpec
		want string // "" when valid
	}{
		{"manifest present", CheckSpec{Name: "a", ManifestPresent: &ManifestPresentCheck{Path: apiServerManifest}}, ""},
		{"API server ready", CheckSpec{Name: "b", APIServerReady: &APIServerReadyCheck{}}, ""},
		{"etcd serving", CheckSpec{Name: "c", EtcdServing: &EtcdServingCheck{}}, ""},
		{"restore dir without path", CheckSpec{Name: "restore-dir", RestoredDataDir: &RestoredDataDirCheck{Snapshot: "/opt/s.db"}},
			"restoredDataDir.path is required"},
		{"no name", CheckSpec{ManifestPresent: &ManifestPresentCheck{Path: "/x"}}, "name is required"},
		{"no check", CheckSpec{Name: "empty"}, "no check set: give exactly one of snapshotFile, snapshotContents, restoredDataDir, etcdDataVolume, manifestPresent, manifestArg, etcdServers, etcdServing, apiServerReady, objects"},
		{"two checks", CheckSpec{Name: "two", SnapshotFile: &SnapshotFileCheck{Path: "/a"}, Objects: &ObjectsCheck{}},
			"snapshotFile and objects are all set; a check has exactly one"},
		{"relative path", CheckSpec{Name: "rel", SnapshotFile: &SnapshotFileCheck{Path: "backup.db"}},
			`snapshotFile.path is "backup.db"; it must be an absolute path on the node`},
		{"relative API server manifest", CheckSpec{Name: "ready", APIServerReady: &APIServerReadyCheck{Manifest: "kube-apiserver.yaml"}},
			`apiServerReady.manifest is "kube-apiserver.yaml"; it must be an absolute path on the node`},
		{"negative timeout", CheckSpec{Name: "ready", APIServerReady: &APIServerReadyCheck{Timeout: Duration{-time.Second}}},
			"apiServerReady.timeout is -1s; it must not be negative"},
		{"arg without flag and want", CheckSpec{Name: "arg", ManifestArg: &ManifestArgCheck{Path: "/etc/kubernetes/manifests/etcd.yaml", Flag: "--"}},
			"manifestArg.flag is required; manifestArg.want is required"},
		{"etcd volume without data dir", CheckSpec{Name: "vol", EtcdDataVolume: &EtcdDataVolumeCheck{Manifest: "etcd.yaml"}},
			`etcdDataVolume.manifest is "etcd.yaml"; it must be an absolute path on the node; etcdDataVolume.dataDir is required`},
		{"relative etcd data dir", CheckSpec{Name: "serving", EtcdServing: &EtcdServingCheck{DataDir: "etcd"}},
			`etcdServing.dataDir is "etcd"; it must be an absolute path on the node`},
		{"relative original", CheckSpec{Name: "dir", RestoredDataDir: &RestoredDataDirCheck{Path: "/a", Snapshot: "/b", Original: "c"}},
			`restoredDataDir.original is "c"; it must be an absolute path on the node`},
		{"negative points", CheckSpec{Name: "neg", Points: -1, EtcdServing: &EtcdServingCheck{}}, "points is -1; it must be 0 (meaning 1) or more"},
		{"empty objects", CheckSpec{Name: "objs", Objects: &ObjectsCheck{}}, "objects needs at least one object in present or absent"},
		{"a kind without a default apiVersion", CheckSpec{Name: "objs", Objects: &ObjectsCheck{Present: []ObjectRef{{Kind: "ReplicaSet", Namespace: "default", Name: "p"}}}},
			`objects.present[0]: apiVersion is required for a ReplicaSet (it may be left out only for ConfigMap, Deployment, Namespace, Node, Pod, Secret, Service)`},
		{"replicas and nodeName", CheckSpec{Name: "objs", Objects: &ObjectsCheck{Timeout: Duration{time.Minute}, Present: []ObjectRef{
			{Kind: "Deployment", Namespace: "d", Name: "web", Replicas: ptrInt32(0)},
			{Kind: "Pod", Namespace: "d", Name: "p", NodeName: "controlplane"},
		}}}, ""},
		{"replicas on a pod, nodeName on a deployment", CheckSpec{Name: "objs", Objects: &ObjectsCheck{Present: []ObjectRef{
			{Kind: "Pod", Namespace: "d", Name: "p", Replicas: ptrInt32(3)},
			{Kind: "Deployment", Namespace: "d", Name: "web", NodeName: "controlplane"},
		}}}, "objects.present[0].replicas is for a Deployment, not a Pod; objects.present[1].nodeName is for a Pod, not a Deployment"},
		{"negative replicas", CheckSpec{Name: "objs", Objects: &ObjectsCheck{Present: []ObjectRef{{Kind: "Deployment", Namespace: "d", Name: "web", Replicas: ptrInt32(-1)}}}},
			"objects.present[0].replicas is -1; it must not be negative"},
		{"replicas of an absent object", CheckSpec{Name: "objs", Objects: &ObjectsCheck{Absent: []ObjectRef{{Kind: "Deployment", Namespace: "d", Name: "web", Replicas: ptrInt32(2)}}}},
			"objects.absent[0].replicas means nothing for an object that must be absent"},
		{"nodeName in a snapshot", CheckSpec{Name: "contents", SnapshotContents: &SnapshotContentsCheck{Path: "/s.db", Present: []ObjectRef{{Kind: "Pod", Namespace: "d", Name: "p", NodeName: "n"}}}},
			"snapshotContents.present[0].nodeName is compared by the objects check only, on the running cluster"},
		{"node taints", CheckSpec{Name: "objs", Objects: &ObjectsCheck{Present: []ObjectRef{
			{Kind: "Node", Name: "controlplane", Taints: []string{"node-role.kubernetes.io/control-plane:NoSchedule", "dedicated=infra:NoExecute"}},
			{Kind: "Node", Name: "worker", Taints: []string{}},
		}}}, ""},
		{"bad taints", CheckSpec{Name: "objs", Objects: &ObjectsCheck{Present: []ObjectRef{
			{Kind: "Node", Name: "controlplane", Taints: []string{"node-role.kubernetes.io/control-plane", "a=b:NoSchedul"}},
			{Kind: "Pod", Namespace: "d", Name: "p", Taints: []string{}},
		}}}, `objects.present[0].taints[0]: taint "node-role.kubernetes.io/control-plane" is not KEY[=VALUE]:EFFECT; ` +
			`objects.present[0].taints[1]: taint "a=b:NoSchedul": effect "NoSchedul" is not NoSchedule, PreferNoSchedule or NoExecute; ` +
			"objects.present[1].taints is for a Node, not a Pod"},
		{"taints in a snapshot", CheckSpec{Name: "contents", SnapshotContents: &SnapshotContentsCheck{Path: "/s.db", Present: []ObjectRef{{Kind: "Node", Name: "n", Taints: []string{}}}}},
			"snapshotContents.present[0].taints is compared by the objects check only, on the running cluster"},
		{"negative objects timeout", CheckSpec{Name: "objs", Objects: &ObjectsCheck{Timeout: Duration{-time.Second}, Present: []ObjectRef{{Kind: "Namespace", Name: "n"}}}},
			"objects.timeout is -1s; it must not be negative"},
		{"any built-in kind by apiVersion", CheckSpec{Name: "objs", Objects: &ObjectsCheck{Present: []ObjectRef{
			{APIVersion: "v1", Kind: "Pod", Namespace: "default", Name: "p"},
			{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy", Namespace: "default", Name: "deny"},
			{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "reader"},
			{Kind: "Service", Namespace: "default", Name: "web", Port: 80},
		}}}, ""},
		{"not a built-in kind", CheckSpec{Name: "objs", Objects: &ObjectsCheck{Present: []ObjectRef{{APIVersion: "example.com/v1", Kind: "Widget", Namespace: "default", Name: "w"}}}},
			`objects.present[0]: Widget is not a built-in kind in example.com/v1`},
		{"a known kind in a version that does not exist", CheckSpec{Name: "objs", Objects: &ObjectsCheck{Present: []ObjectRef{{APIVersion: "apps/v2", Kind: "Deployment", Namespace: "default", Name: "w"}}}},
			`objects.present[0]: Deployment is not a built-in kind in apps/v2`},
		{"no kind", CheckSpec{Name: "objs", Objects: &ObjectsCheck{Present: []ObjectRef{{Name: "w"}}}},
			`objects.present[0].kind is required`},
		{"service without namespace", CheckSpec{Name: "objs", Objects: &ObjectsCheck{Present: []ObjectRef{{Kind: "Service", Name: "web"}}}},
			"objects.present[0].namespace is required for a Service"},
		{"port on a configmap", CheckSpec{Name: "objs", Objects: &ObjectsCheck{Present: []ObjectRef{{Kind: "ConfigMap", Namespace: "d", Name: "c", Port: 80}}}},
			"objects.present[0].port is for a Service, not a ConfigMap"},
		{"port out of range", CheckSpec{Name: "objs", Objects: &ObjectsCheck{Present: []ObjectRef{{Kind: "Service", Namespace: "d", Name: "c", Port: 70000}}}},
			"objects.present[0].port is 70000; a port is 1 to 65535"},
		{"namespaced without namespace", CheckSpec{Name: "objs", Objects: &ObjectsCheck{Absent: []ObjectRef{{Kind: "Secret", Name: "s"}}}},
			"objects.absent[0].namespace is required for a Secret"},
		{"several refs wrong, sorted", CheckSpec{Name: "objs", Objects: &ObjectsCheck{
			Present: []ObjectRef{{Kind: "Namespace", Namespace: "x", Name: "n", Data: map[string]string{"k": "v"}}},
			Absent:  []ObjectRef{{Kind: "ConfigMap", Namespace: "d"}},
		}}, "objects.absent[0].name is required; objects.present[0].data is for a ConfigMap or Secret, not a Namespace; objects.present[0].namespace must be empty for a Namespace"},
		{"image on a configmap", CheckSpec{Name: "objs", SnapshotContents: &SnapshotContentsCheck{Path: "/s.db", Present: []ObjectRef{{Kind: "ConfigMap", Namespace: "d", Name: "c", Image: "x"}}}},
			"snapshotContents.present[0].image is for a Deployment, not a ConfigMap"},
		{"snapshot contents may name no objects", CheckSpec{Name: "contents", SnapshotContents: &SnapshotContentsCheck{Path: "/s.db"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.spec.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tt.want != "" && (err == nil || err.Error() != tt.want):
				t.Errorf("Validate = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestDuration(t *testing.T) {
	type wrapper struct {
		Timeout Duration `json:"timeout" yaml:"timeout"`
	}
	tests := []struct {
		in   string
		want time.Duration
		err  string
		out  string
	}{
		{in: `timeout: 90s`, want: 90 * time.Second, out: `{"timeout":"90s"}`},
		{in: `timeout: "2m"`, want: 2 * time.Minute, out: `{"timeout":"120s"}`},
		{in: `timeout: 1500ms`, want: 1500 * time.Millisecond, out: `{"timeout":"1.5s"}`},
		{in: `timeout: 90`, err: `want a duration such as "90s", got 90`},
		{in: `timeout: soon`, err: `want a duration such as "90s", got "soon"`},
		{in: `timeout: -5s`, err: `want a positive duration such as "90s", got "-5s"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			// sigs.k8s.io/yaml goes through JSON; yaml.v3 calls UnmarshalYAML.
			var viaJSON, viaV3 wrapper
			errJSON := yaml.UnmarshalStrict([]byte(tt.in), &viaJSON)
			errV3 := yamlv3.Unmarshal([]byte(tt.in), &viaV3)
			if tt.err != "" {
				if errJSON == nil || !strings.Contains(errJSON.Error(), tt.err) || errV3 == nil || !strings.Contains(errV3.Error(), tt.err) {
					t.Errorf("errors = %v / %v, want both to contain %q", errJSON, errV3, tt.err)
				}
				return
			}
			if errJSON != nil || errV3 != nil || viaJSON.Timeout.Duration != tt.want || viaV3.Timeout.Duration != tt.want {
				t.Fatalf("got %v (%v) / %v (%v), want %v", viaJSON.Timeout, errJSON, viaV3.Timeout, errV3, tt.want)
			}
			out, _ := json.Marshal(viaJSON)
			if string(out) != tt.out {
				t.Errorf("json = %s, want %s", out, tt.out)
			}
			y, _ := yamlv3.Marshal(viaV3)
			if want := "timeout: " + strings.Trim(strings.TrimPrefix(tt.out, `{"timeout":`), `"}`) + "\n"; string(y) != want {
				t.Errorf("yaml = %q, want %q", y, want)
			}
		})
	}
}

func ptrInt32(n int32) *int32 { return &n }
