package grader

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"strconv"
	"strings"

	yamlv3 "gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/ckat/ckat/labs"
)

// maxManifestSize bounds what the grader reads as a static pod manifest;
// kubeadm's manifests are a few kilobytes.
const maxManifestSize = 1 << 20

// ManifestError is a static pod manifest that does not parse as a Pod,
// with the line where the problem is when it is known.
type ManifestError struct {
	// Path is the manifest's node path.
	Path string
	// Line is 1-based; 0 when unknown.
	Line int
	// Msg says what is wrong, without the path or line.
	Msg string
	// KubeletRunsIt is set for what only a strict reading refuses (an
	// unknown field, a duplicate key): the kubelet ignores unknown fields
	// and keeps the last of duplicate keys, so the pod may still run.
	KubeletRunsIt bool
}

func (e *ManifestError) Error() string {
	prefix := e.Path
	if prefix == "" {
		prefix = "manifest"
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s: line %d: %s", prefix, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", prefix, e.Msg)
}

// ReadManifest reads and parses the static pod manifest at path on node.
// A missing file keeps fs.ErrNotExist detectable; a file that does not parse
// returns a *ManifestError.
func ReadManifest(ctx context.Context, node labs.Node, path string) (*corev1.Pod, error) {
	info, err := node.Stat(ctx, path)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		return nil, &ManifestError{Path: path, Msg: "is a directory, not a manifest file"}
	}
	if info.Size() > maxManifestSize {
		return nil, &ManifestError{Path: path, Msg: fmt.Sprintf("is %d bytes, too large for a static pod manifest", info.Size())}
	}
	data, err := node.ReadFile(ctx, path)
	if err != nil {
		return nil, err
	}
	pod, err := ParseManifest(data)
	if err != nil {
		var me *ManifestError
		if errors.As(err, &me) {
			me.Path = path
		}
		return nil, err
	}
	return pod, nil
}

// ParseManifest parses a static pod manifest strictly: YAML syntax (tabs,
// duplicate keys), unknown fields, wrong types, a kind other than Pod, a
// missing pod name, container name or image, and volume mounts naming
// undefined volumes are all errors, returned as a
// *ManifestError with the line where it is known.
func ParseManifest(data []byte) (*corev1.Pod, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &ManifestError{Msg: "the file is empty"}
	}
	// sigs.k8s.io/yaml's parser places syntax errors more precisely;
	// yaml.v3 says where a duplicate key was first defined.
	jsonData, syntaxErr := yaml.YAMLToJSONStrict(data)
	if syntaxErr != nil && !strings.Contains(syntaxErr.Error(), "unmarshal errors") {
		return nil, yamlError(data, syntaxErr)
	}
	root, err := parseYAMLTree(data)
	if err != nil {
		return nil, err
	}
	if syntaxErr != nil {
		return nil, yamlError(data, syntaxErr)
	}
	dec := json.NewDecoder(bytes.NewReader(jsonData))
	dec.DisallowUnknownFields()
	pod := &corev1.Pod{}
	if err := dec.Decode(pod); err != nil {
		return nil, jsonError(root, err)
	}
	if pod.Kind != "Pod" || pod.APIVersion != "v1" {
		return nil, &ManifestError{Line: lineOf(root, "kind"),
			Msg: fmt.Sprintf("apiVersion/kind is %q/%q, want v1/Pod", pod.APIVersion, pod.Kind)}
	}
	if len(pod.Spec.Containers) == 0 {
		return nil, &ManifestError{Line: lineOf(root, "spec"), Msg: "spec.containers is empty"}
	}
	if pod.Name == "" {
		return nil, &ManifestError{Line: lineOf(root, "metadata"), Msg: "metadata.name is missing"}
	}
	for i, c := range pod.Spec.Containers {
		item := seqItem(mapValue(mapValue(root, "spec"), "containers"), i)
		line := 0
		if item != nil {
			line = item.Line
		}
		switch {
		case c.Name == "":
			return nil, &ManifestError{Line: line, Msg: fmt.Sprintf("spec.containers[%d].name is missing", i)}
		case c.Image == "":
			return nil, &ManifestError{Line: line, Msg: fmt.Sprintf("spec.containers[%d] (%s): image is missing", i, c.Name)}
		}
	}
	if err := checkVolumeMounts(root, pod); err != nil {
		return nil, err
	}
	return pod, nil
}

// parseYAMLTree parses data with yaml.v3, which reports syntax errors and
// duplicate keys with their lines, and returns the one document's root.
func parseYAMLTree(data []byte) (*yamlv3.Node, error) {
	dec := yamlv3.NewDecoder(bytes.NewReader(data))
	var doc yamlv3.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, yamlError(data, err)
	}
	// Decoding into a generic value is what detects duplicate keys.
	var generic any
	if err := doc.Decode(&generic); err != nil {
		return nil, yamlError(data, err)
	}
	var next yamlv3.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, yamlError(data, err)
	default:
		if len(next.Content) > 0 {
			return nil, &ManifestError{Line: next.Line, Msg: "a second YAML document; a static pod manifest holds one Pod"}
		}
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yamlv3.MappingNode {
		return nil, &ManifestError{Line: doc.Line, Msg: "the document is not a YAML mapping (want a Pod)"}
	}
	return doc.Content[0], nil
}

var yamlLineRE = regexp.MustCompile(`(?:yaml: )?line (\d+): `)

// yamlError turns a YAML library error into a one-line *ManifestError. A
// tab in the indentation is named as such, at its own line.
func yamlError(data []byte, err error) error {
	if !strings.Contains(err.Error(), "already") {
		for i, line := range strings.Split(string(data), "\n") {
			indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
			if strings.Contains(indent, "\t") {
				return &ManifestError{Line: i + 1, Msg: "invalid YAML: a tab in the indentation (YAML indents with spaces only)"}
			}
		}
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: unmarshal errors:\n")
	msg = strings.TrimPrefix(msg, "error converting YAML to JSON: ")
	if i := strings.IndexByte(strings.TrimSpace(msg), '\n'); i >= 0 {
		msg = strings.TrimSpace(msg)[:i]
	}
	msg = strings.TrimSpace(msg)
	line := 0
	if m := yamlLineRE.FindStringSubmatchIndex(msg); m != nil {
		line, _ = strconv.Atoi(msg[m[2]:m[3]])
		msg = msg[:m[0]] + msg[m[1]:]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	return &ManifestError{Line: line, Msg: "invalid YAML: " + msg, KubeletRunsIt: strings.Contains(msg, "already defined")}
}

var unknownFieldRE = regexp.MustCompile(`unknown field "([^"]+)"`)

// jsonError turns a decoding error into a *ManifestError naming the field and,
// where the YAML tree shows it, its line.
func jsonError(root *yamlv3.Node, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		return &ManifestError{Line: lineOf(root, strings.Split(field, ".")...),
			Msg: fmt.Sprintf("%s: %s where %s belongs", field, describeJSONValue(te.Value), describeType(te.Type.String()))}
	}
	if m := unknownFieldRE.FindStringSubmatch(err.Error()); m != nil {
		return &ManifestError{Line: findKeyLine(root, m[1]), Msg: fmt.Sprintf("unknown field %q", m[1]), KubeletRunsIt: true}
	}
	return &ManifestError{Msg: strings.TrimPrefix(err.Error(), "json: ")}
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

// findKeyLine returns the line of the first mapping key named key anywhere
// in the tree; 0 when there is none.
func findKeyLine(n *yamlv3.Node, key string) int {
	if n == nil {
		return 0
	}
	if n.Kind == yamlv3.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i].Line
			}
		}
	}
	for _, c := range n.Content {
		if l := findKeyLine(c, key); l > 0 {
			return l
		}
	}
	return 0
}

// checkVolumeMounts reports a volume mount that names a volume spec.volumes
// does not define: the kubelet refuses such a pod.
func checkVolumeMounts(root *yamlv3.Node, pod *corev1.Pod) error {
	volumes := map[string]bool{}
	for _, v := range pod.Spec.Volumes {
		volumes[v.Name] = true
	}
	for i, c := range pod.Spec.Containers {
		for j, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				return &ManifestError{Line: mountLine(root, i, j),
					Msg: fmt.Sprintf("spec.containers[%d].volumeMounts[%d] mounts volume %q, which spec.volumes does not define", i, j, m.Name)}
			}
		}
	}
	return nil
}

func mountLine(root *yamlv3.Node, container, mount int) int {
	c := seqItem(mapValue(mapValue(root, "spec"), "containers"), container)
	m := seqItem(mapValue(c, "volumeMounts"), mount)
	if n := mapValue(m, "name"); n != nil {
		return n.Line
	}
	if m != nil {
		return m.Line
	}
	return 0
}

// lineOf returns the line of the key at path (mapping keys; a list is
// searched for the first item that has the next key), or the line of the
// deepest key found; 0 when none.
func lineOf(n *yamlv3.Node, path ...string) int {
	line := 0
	for _, key := range path {
		if n != nil && n.Kind == yamlv3.SequenceNode {
			var found *yamlv3.Node
			for _, item := range n.Content {
				if k := mapKey(item, key); k != nil {
					found = item
					break
				}
			}
			n = found
		}
		k := mapKey(n, key)
		if k == nil {
			return line
		}
		line = k.Line
		n = mapValue(n, key)
	}
	return line
}

func mapKey(n *yamlv3.Node, key string) *yamlv3.Node {
	if n == nil || n.Kind != yamlv3.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i]
		}
	}
	return nil
}

func mapValue(n *yamlv3.Node, key string) *yamlv3.Node {
	if n == nil || n.Kind != yamlv3.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func seqItem(n *yamlv3.Node, i int) *yamlv3.Node {
	if n == nil || n.Kind != yamlv3.SequenceNode || i >= len(n.Content) {
		return nil
	}
	return n.Content[i]
}

// manifestReadResult turns a ReadManifest error into the check's verdict: a
// missing or broken manifest is the learner's (fail); any other error means
// the grader could not look.
func manifestReadResult(path, what string, err error) Result {
	var me *ManifestError
	switch {
	case errors.As(err, &me) && me.KubeletRunsIt:
		return Result{Status: StatusFail,
			Message:  fmt.Sprintf("%s is not a clean Pod manifest: %v (the kubelet ignores unknown fields and keeps the last of duplicate keys, so what runs may not be what the file seems to say: fix it)", what, err),
			Evidence: []Evidence{{Source: path, Field: "manifest", Want: "a valid Pod manifest", Got: me.Msg}}}
	case errors.As(err, &me):
		return Result{Status: StatusFail,
			Message:  fmt.Sprintf("%s does not parse as a Pod, so the kubelet will not run it: %v", what, err),
			Evidence: []Evidence{{Source: path, Field: "manifest", Want: "a valid Pod manifest", Got: me.Msg}}}
	case errors.Is(err, fs.ErrNotExist):
		return Result{Status: StatusFail,
			Message:  fmt.Sprintf("%s is missing: %s does not exist", what, path),
			Evidence: []Evidence{{Source: path, Field: "file", Want: "present", Got: "missing"}}}
	default:
		return Result{Status: StatusError, Message: fmt.Sprintf("could not read %s: %v", path, err)}
	}
}
