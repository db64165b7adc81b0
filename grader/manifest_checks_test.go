package grader

import (
	"context"
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

const apiServerManifest = "/etc/kubernetes/manifests/kube-apiserver.yaml"

func TestManifestPresentCheck(t *testing.T) {
	valid, err := os.ReadFile("../internal/staticpod/testdata/valid-kube-apiserver.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		files   map[string]string // node path -> content ("valid" for the kubeadm manifest)
		status  Status
		message string
		got     string
	}{
		{"in place", map[string]string{apiServerManifest: "valid"}, StatusPass,
			"/etc/kubernetes/manifests/kube-apiserver.yaml is in place and parses as a Pod", "present, a valid Pod"},
		{"left in /tmp", map[string]string{"/tmp/kube-apiserver.yaml": "valid"}, StatusFail,
			"kube-apiserver.yaml is not in /etc/kubernetes/manifests (looked for /etc/kubernetes/manifests/kube-apiserver.yaml), so the kubelet does not run it; found /tmp/kube-apiserver.yaml: move it back",
			"missing; found /tmp/kube-apiserver.yaml"},
		// The kubelet reads every file in the directory and knows a pod by
		// its name, not its file's (until pods were found by name, these
		// two cases failed).
		{"put back as kube-apiserver-new.yaml", map[string]string{"/etc/kubernetes/manifests/kube-apiserver-new.yaml": "valid", "/etc/kubernetes/manifests/etcd.yaml": "etcd"}, StatusPass,
			"/etc/kubernetes/manifests/kube-apiserver-new.yaml defines the static pod kube-system/kube-apiserver and parses as a Pod: the kubelet runs every file in /etc/kubernetes/manifests whatever its name",
			"present as kube-apiserver-new.yaml, a valid Pod"},
		{"saved as .bak", map[string]string{apiServerManifest + ".bak": "valid", "/etc/kubernetes/manifests/etcd.yaml": "etcd"}, StatusPass,
			"kube-apiserver.yaml.bak defines the static pod kube-system/kube-apiserver", "present as kube-apiserver.yaml.bak, a valid Pod"},
		{"renamed, and a copy left in /root", map[string]string{"/etc/kubernetes/manifests/apiserver.yaml": "valid", "/root/kube-apiserver.yaml": "valid"}, StatusPass,
			"apiserver.yaml defines the static pod kube-system/kube-apiserver", "present as apiserver.yaml, a valid Pod"},
		{"a broken copy in the directory", map[string]string{apiServerManifest + ".bak": "apiVersion: v1\nkind: Pod\n"}, StatusFail,
			"found /etc/kubernetes/manifests/kube-apiserver.yaml.bak: move it back", "missing; found /etc/kubernetes/manifests/kube-apiserver.yaml.bak"},
		{"two renamed copies", map[string]string{"/etc/kubernetes/manifests/kube-apiserver-new.yaml": "valid", "/etc/kubernetes/manifests/kube-apiserver-old.yaml": "valid"}, StatusFail,
			"2 files in /etc/kubernetes/manifests define the static pod kube-system/kube-apiserver: kube-apiserver-new.yaml and kube-apiserver-old.yaml", "kube-apiserver-new.yaml, kube-apiserver-old.yaml"},
		{"gone", map[string]string{"/etc/kubernetes/manifests/etcd.yaml": "etcd"}, StatusFail,
			"kube-apiserver.yaml is not in /etc/kubernetes/manifests (looked for /etc/kubernetes/manifests/kube-apiserver.yaml), so the kubelet does not run it", "missing"},
		// The kubelet refuses an unsupported hostPath type.
		{"broken", map[string]string{apiServerManifest: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers:\n  - name: a\n    image: a\n  volumes:\n  - name: v\n    hostPath:\n      path: /x\n      type: DirectoryorCreate\n"}, StatusFail,
			`line 13: spec.volumes[0].hostPath.type: Unsupported value: "DirectoryorCreate"`, `supported values: "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"`},
		// The kubelet keeps the last of duplicate keys and runs the pod
		// (until the kubelet's rules were mirrored, this case failed).
		{"duplicate key", map[string]string{apiServerManifest: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers:\n  - name: a\n    image: a\n    image: b\n"}, StatusPass,
			`parses as a Pod; the kubelet ignores line 9: mapping key "image" already defined at line 8 (the last value is used)`, "present, a valid Pod"},
		{"beside etcd.yaml and a dotfile copy", map[string]string{apiServerManifest: "valid", "/etc/kubernetes/manifests/etcd.yaml": "etcd",
			"/etc/kubernetes/manifests/.kube-apiserver.yaml.swp": "valid"}, StatusPass,
			"is in place and parses as a Pod", "present, a valid Pod"},
		{"a .bak copy beside it", map[string]string{apiServerManifest: "valid", apiServerManifest + ".bak": "valid"}, StatusFail,
			"2 files in /etc/kubernetes/manifests define the static pod kube-system/kube-apiserver: kube-apiserver.yaml and kube-apiserver.yaml.bak. " +
				"The kubelet keeps one pod per name and at each re-read of the directory (every 20s) the last file in name order wins, so the kubelet runs kube-apiserver.yaml.bak's pod, not kube-apiserver.yaml's,",
			"kube-apiserver.yaml, kube-apiserver.yaml.bak"},
		{"a copy that sorts first", map[string]string{apiServerManifest: "valid", "/etc/kubernetes/manifests/apiserver-old.yaml": "valid"}, StatusFail,
			"define the static pod kube-system/kube-apiserver: apiserver-old.yaml and kube-apiserver.yaml. The kubelet keeps one pod per name and at each re-read of the directory (every 20s) the last file in name order wins, so the kubelet runs kube-apiserver.yaml's pod whatever was edited last",
			"apiserver-old.yaml, kube-apiserver.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			node := newHostDirNode(t)
			for p, content := range tt.files {
				switch content {
				case "valid":
					content = string(valid)
				case "etcd":
					content = string(readTestdata(t, "../../internal/staticpod/testdata/valid-etcd-kubeadm.yaml"))
				}
				node.writeNodeFile(t, p, []byte(content))
			}
			r := (&ManifestPresentCheck{Path: apiServerManifest}).Run(context.Background(), Target{Node: node})
			if r.Status != tt.status || !strings.Contains(r.Message, tt.message) {
				t.Fatalf("Run = %s %q, want %s containing %q", r.Status, r.Message, tt.status, tt.message)
			}
			if len(r.Evidence) != 1 || !strings.HasSuffix(r.Evidence[0].Got, tt.got) {
				t.Errorf("evidence = %+v, want one row whose got ends with %q", r.Evidence, tt.got)
			}
			if dup := strings.Contains(r.Message, "define the static pod"); dup != (r.Hint == duplicateManifestHint) {
				t.Errorf("hint = %q for %q", r.Hint, r.Message)
			}
		})
	}
}

func TestManifestArgCheck(t *testing.T) {
	valid, err := os.ReadFile("../internal/staticpod/testdata/valid-kube-apiserver.yaml")
	if err != nil {
		t.Fatal(err)
	}
	base := string(valid)
	tests := []struct {
		name     string
		manifest string
		flag     string
		want     string
		status   Status
		message  string
		got      string
	}{
		{"as kubeadm writes it", base, "etcd-servers", "https://127.0.0.1:2379", StatusPass, `--etcd-servers is "https://127.0.0.1:2379"`, "https://127.0.0.1:2379"},
		{"flag named with dashes", base, "--etcd-servers", "https://127.0.0.1:2379", StatusPass, `--etcd-servers is`, "https://127.0.0.1:2379"},
		{"wrong value", strings.Replace(base, "--etcd-servers=https://127.0.0.1:2379", "--etcd-servers=https://127.0.0.1:2380", 1),
			"etcd-servers", "https://127.0.0.1:2379", StatusFail, `--etcd-servers is "https://127.0.0.1:2380", want "https://127.0.0.1:2379"`, "https://127.0.0.1:2380"},
		{"value as the next argument", strings.Replace(base, "    - --etcd-servers=https://127.0.0.1:2379\n", "    - --etcd-servers\n    - https://127.0.0.1:2379\n", 1),
			"etcd-servers", "https://127.0.0.1:2379", StatusPass, `--etcd-servers is "https://127.0.0.1:2379"`, "https://127.0.0.1:2379"},
		{"in args, not command", strings.Replace(base, "    - --etcd-servers=https://127.0.0.1:2379\n", "", 1) + "",
			"etcd-servers", "https://127.0.0.1:2379", StatusFail, "does not set --etcd-servers in container kube-apiserver's command or args", "(not set)"},
		{"set twice, the last wins", strings.Replace(base, "    - --tls-private-key-file", "    - --etcd-servers=https://10.0.0.1:2379\n    - --tls-private-key-file", 1),
			"etcd-servers", "https://127.0.0.1:2379", StatusFail, `--etcd-servers is "https://10.0.0.1:2379"`, "https://10.0.0.1:2379 (set 2 times: https://127.0.0.1:2379, https://10.0.0.1:2379; the last wins)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			node := newHostDirNode(t)
			node.writeNodeFile(t, apiServerManifest, []byte(tt.manifest))
			r := (&ManifestArgCheck{Path: apiServerManifest, Flag: tt.flag, Want: tt.want}).Run(context.Background(), Target{Node: node})
			if r.Status != tt.status || !strings.Contains(r.Message, tt.message) {
				t.Fatalf("Run = %s %q, want %s containing %q", r.Status, r.Message, tt.status, tt.message)
			}
			if len(r.Evidence) != 1 || r.Evidence[0].Got != tt.got || r.Evidence[0].Want != tt.want {
				t.Errorf("evidence = %+v, want want %q got %q", r.Evidence, tt.want, tt.got)
			}
		})
	}
}

func TestManifestArgCheckArgsField(t *testing.T) {
	manifest := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: x\n    image: x\n    command: [kube-apiserver]\n    args: [\"--secure-port\", \"6443\"]\n"
	node := newHostDirNode(t)
	node.writeNodeFile(t, apiServerManifest, []byte(manifest))
	r := (&ManifestArgCheck{Path: apiServerManifest, Flag: "secure-port", Want: "6443"}).Run(context.Background(), Target{Node: node})
	if r.Status != StatusPass {
		t.Errorf("Run = %s %q, want pass from args", r.Status, r.Message)
	}
}

func TestFlagValues(t *testing.T) {
	tests := []struct {
		argv []string
		want []string
	}{
		{[]string{"etcd", "--data-dir=/a"}, []string{"/a"}},
		{[]string{"etcd", "-data-dir=/a", "--data-dir", "/b"}, []string{"/a", "/b"}},
		{[]string{"etcd", "--data-dir"}, nil},
		{[]string{"etcd", "--data-dir-x=/a", "--name=data-dir"}, nil},
		{[]string{"etcd", "--data-dir="}, []string{""}},
	}
	for _, tt := range tests {
		got := FlagValues(corev1.Container{Command: tt.argv[:1], Args: tt.argv[1:]}, "--data-dir")
		if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
			t.Errorf("FlagValues(%q) = %q, want %q", tt.argv, got, tt.want)
		}
	}
}
