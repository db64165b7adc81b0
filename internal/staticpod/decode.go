// Package staticpod reads a static pod manifest as kubelet v1.37 does: the
// same decoder (YAML to JSON with sigs.k8s.io/yaml, then apimachinery's
// non-strict, case-sensitive JSON decoding into a v1 Pod), the v1 defaults
// that validation depends on, and the Pod validation rules that decide
// whether the kubelet's file source accepts the file. The grader and the
// local lab's node agent both read manifests through it, so they agree
// with each other and with a real node.
//
// Upstream (k8s.io/kubernetes v1.37.2):
//   - pkg/kubelet/config/file.go, extractFromFile: read at most
//     maxConfigLength bytes, then tryDecodeSinglePod;
//   - pkg/kubelet/config/common.go, tryDecodeSinglePod: utilyaml.ToJSON,
//     runtime.Decode with legacyscheme's UniversalDecoder (non-strict),
//     "name is needed", applyDefaults, validation.ValidatePodCreate,
//     podutil.HasAPIObjectReference.
package staticpod

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	kjson "sigs.k8s.io/json"
)

// MaxSize is the most the kubelet reads of a manifest: a file of this many
// bytes or more is not a pod (maxConfigLength in
// pkg/kubelet/config/common.go, read with utilio.ReadAtMost in file.go).
const MaxSize = 10 << 20

// Manifest is a static pod manifest as the kubelet reads it.
type Manifest struct {
	// Pod is the decoded pod with the v1 defaults applied (see
	// setDefaults). Its name is the file's: the kubelet's "-NODENAME"
	// suffix and other static pod defaults are the caller's.
	Pod *corev1.Pod
	// Ignored lists what the kubelet silently passes over in the file:
	// unknown fields (a field name in the wrong case is one), duplicate
	// keys (the last value is used) and YAML documents after the first.
	Ignored []Finding
}

// Finding is one thing in a file, at its line (1-based; 0 when unknown).
type Finding struct {
	Line int
	Msg  string
}

func (f Finding) String() string {
	if f.Line > 0 {
		return fmt.Sprintf("line %d: %s", f.Line, f.Msg)
	}
	return f.Msg
}

// Error is a manifest the kubelet does not run, with the line where the
// problem is when it is known.
type Error struct {
	// Path is the manifest's path, set by the caller; may be empty.
	Path string
	// Line is 1-based; 0 when unknown.
	Line int
	// Msg says what is wrong for a reader, without the path or line.
	Msg string
	// Kubelet is the error as kubelet v1.37's file source returns it, for
	// logs that read like the kubelet's (see KubeletMessage).
	Kubelet string
	// Parsed is false when the file did not decode as a Pod at all
	// (tryDecodeSinglePod's parsed result), true when it decoded but is
	// not a valid static pod.
	Parsed bool
}

func (e *Error) Error() string {
	prefix := e.Path
	if prefix == "" {
		prefix = "manifest"
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s: line %d: %s", prefix, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", prefix, e.Msg)
}

// KubeletMessage is the error the kubelet logs for the file at path
// (extractFromFile in pkg/kubelet/config/file.go: a file that does not
// decode is "couldn't parse as pod"; a decoded pod that fails validation
// keeps tryDecodeSinglePod's own error).
func (e *Error) KubeletMessage(path string) string {
	if !e.Parsed {
		return fmt.Sprintf("%s: couldn't parse as pod(%s), please check config file", path, e.Kubelet)
	}
	return e.Kubelet
}

// Options are what the kubelet knows beyond the file.
type Options struct {
	// NodeName is the node's name; the kubelet validates the pod name
	// with "-" and the lower-cased node name appended (applyDefaults in
	// pkg/kubelet/config/common.go runs before validation). Empty: the
	// name is validated as written.
	NodeName string
}

// decoder is the JSON decoder the kubelet uses, for the core v1 group
// only: the kubelet's file source accepts nothing else as a Pod.
var decoder = func() runtime.Decoder {
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		panic(err) // a static registration; cannot fail
	}
	return serializer.NewCodecFactory(scheme).UniversalDeserializer()
}()

// Decode reads data as the kubelet reads a static pod manifest. It returns
// the pod the kubelet would run, or an *Error saying why the kubelet does
// not run it.
func Decode(data []byte, opts Options) (*Manifest, error) {
	if len(data) >= MaxSize {
		return nil, &Error{Msg: fmt.Sprintf("is %d bytes; the kubelet reads static pod manifests under %d bytes", len(data), MaxSize),
			Kubelet: "the read limit is reached"}
	}
	tree := parseTree(data)
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &Error{Msg: "the file is empty", Kubelet: "Object 'Kind' is missing in 'null'"}
	}
	// tryDecodeSinglePod: utilyaml.ToJSON passes JSON through and converts
	// YAML with sigs.k8s.io/yaml's YAMLToJSON (non-strict: the last of
	// duplicate keys wins; only the first document is read).
	js, err := utilyaml.ToJSON(data)
	if err != nil {
		e := yamlError(data, err)
		e.Kubelet = err.Error()
		return nil, e
	}
	obj, gvk, err := decoder.Decode(js, nil, nil)
	if err != nil {
		e := decodeError(tree, err)
		e.Kubelet = err.Error()
		return nil, e
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		// Upstream prints the whole object (%#v); the kind says enough.
		return nil, &Error{Line: tree.line("kind"), Msg: fmt.Sprintf("apiVersion/kind is %q/%q, want v1/Pod", gvk.Version, gvk.Kind),
			Kubelet: fmt.Sprintf("invalid pod: kind %s, want Pod", gvk.Kind)}
	}
	m := &Manifest{Pod: pod, Ignored: ignored(data, js, tree)}
	if pod.Name == "" {
		return nil, &Error{Line: tree.line("metadata"), Msg: "metadata.name is missing", Parsed: true,
			Kubelet: "invalid pod: name is needed for the pod"}
	}
	setDefaults(pod)
	if errs := validate(pod, opts); len(errs) > 0 {
		return nil, &Error{Line: tree.fieldLine(errs[0].Field), Msg: describe(errs[0], pod), Parsed: true,
			Kubelet: fmt.Sprintf("invalid pod: %v", errs)}
	}
	if resource := apiObjectReference(pod); resource != "" {
		return nil, &Error{Line: tree.line("spec"), Msg: fmt.Sprintf("a static pod may not reference %s, and this one does", resource), Parsed: true,
			Kubelet: fmt.Sprintf("static pods may not reference %s", resource)}
	}
	return m, nil
}

// ignored finds what the non-strict decoding passed over: the strict
// decoder's unknown fields (the kubelet's serializer is built non-strict,
// pkg/api/legacyscheme with serializer.NewCodecFactory, so these are
// dropped without a word), duplicate keys and later YAML documents.
func ignored(data, js []byte, tree *yamlTree) []Finding {
	var out []Finding
	out = append(out, tree.duplicates...)
	strict, err := kjson.UnmarshalStrict(js, &corev1.Pod{}, kjson.DisallowUnknownFields, kjson.DisallowDuplicateFields)
	if err == nil {
		for _, e := range strict {
			msg := e.Error()
			if m := unknownFieldRE.FindStringSubmatch(msg); m != nil {
				out = append(out, Finding{Line: tree.fieldLine(m[1]),
					Msg: fmt.Sprintf("unknown field %q (field names are case-sensitive)", m[1])})
				continue
			}
			out = append(out, Finding{Msg: msg + " (the last value is used)"})
		}
	}
	if tree.nextDoc > 0 {
		out = append(out, Finding{Line: tree.nextDoc, Msg: "a second YAML document (only the first is read)"})
	}
	return out
}

var (
	unknownFieldRE = regexp.MustCompile(`unknown field "([^"]+)"`)
	yamlLineRE     = regexp.MustCompile(`(?:yaml: )?line (\d+): `)
	typeErrorRE    = regexp.MustCompile(`^json: cannot unmarshal (.+) into Go struct field [^.]*\.(\S+) of type (\S+)$`)
)

// yamlError turns a YAML syntax error into an *Error. A tab in the
// indentation is named as such, at its own line.
func yamlError(data []byte, err error) *Error {
	for i, line := range strings.Split(string(data), "\n") {
		indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		if strings.Contains(indent, "\t") {
			return &Error{Line: i + 1, Msg: "invalid YAML: a tab in the indentation (YAML indents with spaces only)"}
		}
	}
	msg := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
	msg = strings.TrimPrefix(msg, "yaml: unmarshal errors:\n")
	msg = strings.TrimSpace(msg)
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	line := 0
	if m := yamlLineRE.FindStringSubmatchIndex(msg); m != nil {
		line, _ = strconv.Atoi(msg[m[2]:m[3]])
		msg = msg[:m[0]] + msg[m[1]:]
	}
	return &Error{Line: line, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// decodeError turns the JSON decoder's error into an *Error naming the
// field and, where the YAML shows it, its line.
func decodeError(tree *yamlTree, err error) *Error {
	msg := err.Error()
	if m := typeErrorRE.FindStringSubmatch(msg); m != nil {
		return &Error{Line: tree.fieldLine(m[2]),
			Msg: fmt.Sprintf("%s: %s where %s belongs", m[2], describeJSONValue(m[1]), describeType(m[3]))}
	}
	switch {
	case runtime.IsMissingKind(err), runtime.IsMissingVersion(err), runtime.IsNotRegisteredError(err):
		if tree.root == nil || !tree.isMapping() {
			return &Error{Line: tree.docLine, Msg: "the document is not a YAML mapping (want a Pod)"}
		}
		return &Error{Line: tree.line("kind"),
			Msg: fmt.Sprintf("apiVersion/kind is %q/%q, want v1/Pod", tree.scalar("apiVersion"), tree.scalar("kind"))}
	case strings.Contains(msg, "couldn't get version/kind"):
		return &Error{Line: tree.docLine, Msg: "the document is not a YAML mapping (want a Pod)"}
	}
	return &Error{Msg: strings.TrimPrefix(msg, "json: ")}
}

func describeType(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map["), strings.Contains(goType, "."):
		return "a mapping"
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "a boolean"
	default:
		return "a number"
	}
}

func describeJSONValue(v string) string {
	switch {
	case v == "array":
		return "a list"
	case v == "object":
		return "a mapping"
	case v == "bool":
		return "a boolean"
	case strings.HasPrefix(v, "number"):
		return "a number"
	default:
		return "a " + v
	}
}
