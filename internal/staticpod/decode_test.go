package staticpod

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestDecodeAsKubelet is the kubelet-parity table: each testdata file with
// what kubelet v1.37's file source does with it, and the upstream code
// that decides it. valid-* files run (perhaps with something ignored);
// invalid-* files do not.
func TestDecodeAsKubelet(t *testing.T) {
	tests := []struct {
		file string
		// decidedBy is the upstream code that decides the outcome.
		decidedBy string
		// For invalid-*: the error's line, part of its message, and part
		// of the kubelet's own error.
		line    int
		msg     string
		kubelet string
		// For valid-*: what the kubelet ignores (line and part of the
		// message, in order), and what the pod then is.
		ignored []Finding
		check   func(t *testing.T, pod *corev1.Pod)
	}{
		{file: "valid-etcd-kubeadm.yaml", decidedBy: "kubeadm's etcd manifest",
			check: volumes(2)},
		{file: "valid-kube-apiserver.yaml", decidedBy: "kubeadm's kube-apiserver manifest",
			check: volumes(5)},
		{file: "valid-duplicate-key.yaml",
			decidedBy: "sigs.k8s.io/yaml YAMLToJSON (non-strict go.yaml.in/yaml/v2: the last key wins), called by apimachinery util/yaml.ToJSON in tryDecodeSinglePod; the codec factory is non-strict, so no error or warning",
			ignored:   []Finding{{36, `mapping key "image" already defined at line 34 (the last value is used)`}},
			check: func(t *testing.T, pod *corev1.Pod) {
				if got := pod.Spec.Containers[0].Image; got != "registry.k8s.io/etcd:3.6.0-0" {
					t.Errorf("image = %q, want the last value registry.k8s.io/etcd:3.6.0-0", got)
				}
			}},
		{file: "valid-unknown-field.yaml",
			decidedBy: "apimachinery runtime/serializer/json Serializer.unmarshal, non-strict: sigs.k8s.io/json UnmarshalCaseSensitivePreserveInts drops unknown fields",
			ignored:   []Finding{{36, `unknown field "spec.containers[0].imagePulPolicy"`}},
			check: func(t *testing.T, pod *corev1.Pod) {
				if got := pod.Spec.Containers[0].ImagePullPolicy; got != corev1.PullIfNotPresent {
					t.Errorf("imagePullPolicy = %q, want the default IfNotPresent", got)
				}
			}},
		{file: "valid-hostpath-lowercase.yaml",
			decidedBy: "case-sensitive decoding (sigs.k8s.io/json UnmarshalCaseSensitivePreserveInts) drops `hostpath`; SetDefaults_Volume (pkg/apis/core/v1/defaults.go) makes a volume without a source an emptyDir",
			ignored:   []Finding{{90, `unknown field "spec.volumes[1].hostpath"`}},
			check: func(t *testing.T, pod *corev1.Pod) {
				v := pod.Spec.Volumes[1]
				if v.Name != "etcd-data" || v.HostPath != nil || v.EmptyDir == nil {
					t.Errorf("volume %s: hostPath %v emptyDir %v, want an emptyDir", v.Name, v.HostPath, v.EmptyDir)
				}
			}},
		{file: "valid-hostpath-relative.yaml",
			decidedBy: "validateHostPathVolumeSource (pkg/apis/core/validation) checks only that the path is set, has no '..' and a supported type: a relative hostPath is accepted",
			check: func(t *testing.T, pod *corev1.Pod) {
				if got := pod.Spec.Volumes[1].HostPath.Path; got != "var/lib/etcd-restore" {
					t.Errorf("hostPath = %q", got)
				}
			}},
		{file: "valid-trailing-separator.yaml",
			decidedBy: "sigs.k8s.io/yaml YAMLToJSON reads the first document; an empty document after `---` is nothing",
			check:     volumes(2)},
		{file: "valid-two-documents.yaml",
			decidedBy: "sigs.k8s.io/yaml YAMLToJSON reads the first document only; the second is never seen",
			ignored:   []Finding{{95, "a second YAML document (only the first is read)"}},
			check:     volumes(2)},

		{file: "invalid-mountpath-lowercase.yaml", line: 75,
			decidedBy: "case-sensitive decoding drops `mountpath`; ValidateVolumeMounts: mountPath Required",
			msg:       "spec.containers[0].volumeMounts[0].mountPath: Required value",
			kubelet:   "invalid pod: [spec.containers[0].volumeMounts[0].mountPath: Required value]"},
		{file: "invalid-hostpath-type.yaml", line: 92,
			decidedBy: "validateHostPathType: the type must be one of supportedHostPathTypes",
			msg:       `spec.volumes[1].hostPath.type: Unsupported value: "DirectoryorCreate": supported values: "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"`,
			kubelet:   `spec.containers[0].volumeMounts[0].name: Not found: "etcd-data"`},
		{file: "invalid-hostpath-dotdot.yaml", line: 91,
			decidedBy: "validatePathNoBacksteps, called by validateHostPathVolumeSource",
			msg:       `spec.volumes[1].hostPath.path: Invalid value: "/var/lib/etcd/../etcd-restore": must not contain '..'`,
			kubelet:   "invalid pod: [spec.volumes[1].hostPath.path"},
		{file: "invalid-duplicate-volume-name.yaml", line: 93,
			decidedBy: "ValidateVolumes: volume names are unique",
			msg:       `spec.volumes[1].name: Duplicate value: "etcd-data"`,
			kubelet:   `spec.containers[0].volumeMounts[1].name: Not found: "etcd-certs"`},
		{file: "invalid-volume-name.yaml", line: 89,
			decidedBy: "ValidateVolumes: a volume name is a DNS-1123 label",
			msg:       `spec.volumes[0].name: Invalid value: "etcd_certs": a lowercase RFC 1123 label`,
			kubelet:   "invalid pod: "},
		{file: "invalid-secret-volume.yaml", line: 11,
			decidedBy: "podutil.HasAPIObjectReference, called by tryDecodeSinglePod",
			msg:       "a static pod may not reference secrets",
			kubelet:   "static pods may not reference secrets"},
		{file: "invalid-tab.yaml", line: 46, decidedBy: "sigs.k8s.io/yaml YAMLToJSON: YAML indents with spaces",
			msg: "a tab in the indentation", kubelet: "yaml: line 46: found a tab character that violates indentation"},
		{file: "invalid-wrong-type.yaml", line: 79, decidedBy: "JSON decoding into v1.Pod",
			msg: "spec.hostNetwork: a list where a boolean belongs", kubelet: "cannot unmarshal array"},
		{file: "invalid-command-string.yaml", line: 13, decidedBy: "JSON decoding into v1.Pod",
			msg: "spec.containers.command: a string where a list belongs", kubelet: "cannot unmarshal string"},
		{file: "invalid-unknown-volume.yaml", line: 76, decidedBy: "ValidateVolumeMounts: the volume must exist",
			msg: `mounts volume "etcd-dta", which spec.volumes does not define`, kubelet: `Not found: "etcd-dta"`},
		{file: "invalid-kind.yaml", line: 2, decidedBy: "runtime.Decode: only core v1 kinds are registered; tryDecodeSinglePod wants a Pod",
			msg: `"v1"/"Deployment", want v1/Pod`, kubelet: `no kind "Deployment" is registered for version "v1"`},
		{file: "invalid-empty.yaml", decidedBy: "runtime.Decode of `null`",
			msg: "the file is empty", kubelet: "Object 'Kind' is missing in 'null'"},
		{file: "invalid-not-mapping.yaml", line: 1, decidedBy: "runtime.Decode: no apiVersion/kind in a list",
			msg: "not a YAML mapping", kubelet: "couldn't get version/kind"},
		{file: "invalid-indentation.yaml", line: 18, decidedBy: "sigs.k8s.io/yaml YAMLToJSON",
			msg: "invalid YAML: did not find expected key", kubelet: "yaml: line 18: did not find expected key"},
		{file: "invalid-no-containers.yaml", line: 12, decidedBy: "validateContainers: at least one container",
			msg: "spec.containers is empty", kubelet: "invalid pod: [spec.containers: Required value]"},
		{file: "invalid-no-name.yaml", line: 3, decidedBy: "tryDecodeSinglePod: a name is needed",
			msg: "metadata.name is missing", kubelet: "invalid pod: name is needed for the pod"},
		{file: "invalid-no-image.yaml", line: 13, decidedBy: "validateContainerCommon: image Required",
			msg: "spec.containers[0] (etcd): image is missing", kubelet: "spec.containers[0].image: Required value"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			m, err := Decode(data, Options{NodeName: "controlplane"})
			if strings.HasPrefix(tt.file, "valid-") {
				if err != nil {
					t.Fatalf("Decode: %v; the kubelet runs it (%s)", err, tt.decidedBy)
				}
				if len(m.Ignored) != len(tt.ignored) {
					t.Fatalf("ignored %v, want %v (%s)", m.Ignored, tt.ignored, tt.decidedBy)
				}
				for i, want := range tt.ignored {
					if got := m.Ignored[i]; got.Line != want.Line || !strings.Contains(got.Msg, want.Msg) {
						t.Errorf("ignored[%d] = %v, want line %d containing %q", i, got, want.Line, want.Msg)
					}
				}
				if tt.check != nil {
					tt.check(t, m.Pod)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Decode error = %v, want an *Error; the kubelet refuses it (%s)", err, tt.decidedBy)
			}
			if e.Line != tt.line || !strings.Contains(e.Msg, tt.msg) {
				t.Errorf("error = line %d %q, want line %d containing %q", e.Line, e.Msg, tt.line, tt.msg)
			}
			if !strings.Contains(e.Kubelet, tt.kubelet) {
				t.Errorf("kubelet error = %q, want it to contain %q (%s)", e.Kubelet, tt.kubelet, tt.decidedBy)
			}
			if strings.Contains(e.Error(), "\n") {
				t.Errorf("error spans lines: %q", e)
			}
		})
	}
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s has no case in the table", f)
		}
	}
}

func volumes(n int) func(t *testing.T, pod *corev1.Pod) {
	return func(t *testing.T, pod *corev1.Pod) {
		t.Helper()
		if len(pod.Spec.Containers) != 1 || len(pod.Spec.Volumes) != n {
			t.Fatalf("parsed %d containers and %d volumes, want 1 and %d", len(pod.Spec.Containers), len(pod.Spec.Volumes), n)
		}
	}
}

// TestKubeletMessage checks the two forms the kubelet's file source logs.
func TestKubeletMessage(t *testing.T) {
	_, err := Decode([]byte("apiVersion: v1\nkind: Pod\n"), Options{})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v", err)
	}
	if got := e.KubeletMessage("/m/a.yaml"); got != "invalid pod: name is needed for the pod" {
		t.Errorf("invalid pod: %q", got)
	}
	_, err = Decode([]byte("kind: Pod\nspec: [\n"), Options{})
	if !errors.As(err, &e) {
		t.Fatalf("err = %v", err)
	}
	if got := e.KubeletMessage("/m/a.yaml"); !strings.HasPrefix(got, "/m/a.yaml: couldn't parse as pod(yaml: line 2: ") ||
		!strings.HasSuffix(got, "), please check config file") {
		t.Errorf("unparsed: %q", got)
	}
}

// TestNodeNameInPodName checks that the name is validated with the node's
// name appended, as applyDefaults does before validation.
func TestNodeNameInPodName(t *testing.T) {
	data := []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + strings.Repeat("a", 250) + "\nspec:\n  containers:\n  - name: c\n    image: i\n")
	if _, err := Decode(data, Options{}); err != nil {
		t.Fatalf("a 250-character name alone is valid: %v", err)
	}
	_, err := Decode(data, Options{NodeName: "ControlPlane"})
	if err == nil || !strings.Contains(err.Error(), "metadata.name: Invalid value") || !strings.Contains(err.Error(), "-controlplane") {
		t.Fatalf("with the node's name the pod name is too long: err = %v", err)
	}
}
