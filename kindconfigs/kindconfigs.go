// Package kindconfigs holds the kind cluster configurations a kind lab can
// use. Each is a plain kind.x-k8s.io/v1alpha4 Cluster file that also works
// with `kind create cluster --config FILE`.
package kindconfigs

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
)

// Default is the configuration a kind lab uses when none is named.
const Default = "single-control-plane"

const apiVersion = "kind.x-k8s.io/v1alpha4"

//go:embed *.yaml
var files embed.FS

// Names lists the embedded configurations, sorted, without ".yaml".
func Names() []string {
	entries, _ := files.ReadDir(".")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// Get returns the YAML of the configuration called name ("" means Default).
func Get(name string) ([]byte, error) {
	if name == "" {
		name = Default
	}
	if strings.ContainsAny(name, `/\.`) {
		return nil, fmt.Errorf("unknown kind config %q: choose one of %s", name, strings.Join(Names(), ", "))
	}
	data, err := files.ReadFile(name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("unknown kind config %q: choose one of %s", name, strings.Join(Names(), ", "))
	}
	return data, nil
}

// Parse decodes a kind cluster configuration the way kind does: the
// apiVersion must be kind.x-k8s.io/v1alpha4 and the kind Cluster, and
// unknown fields are errors. Defaults are applied to the result.
func Parse(data []byte) (*v1alpha4.Cluster, error) {
	var tm struct {
		Kind       string `yaml:"kind"`
		APIVersion string `yaml:"apiVersion"`
	}
	if err := yaml.Unmarshal(data, &tm); err != nil {
		return nil, fmt.Errorf("not a kind config: %s", oneLine(err))
	}
	if tm.APIVersion != apiVersion {
		return nil, fmt.Errorf("not a kind config: apiVersion is %q, want %q", tm.APIVersion, apiVersion)
	}
	if tm.Kind != "Cluster" {
		return nil, fmt.Errorf("not a kind config: kind is %q, want \"Cluster\"", tm.Kind)
	}
	cfg := &v1alpha4.Cluster{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("invalid kind config: %s", oneLine(err))
	}
	v1alpha4.SetDefaultsCluster(cfg)
	for i, n := range cfg.Nodes {
		if n.Role != v1alpha4.ControlPlaneRole && n.Role != v1alpha4.WorkerRole {
			return nil, fmt.Errorf("invalid kind config: nodes[%d]: unknown role %q (want %q or %q)", i, n.Role, v1alpha4.ControlPlaneRole, v1alpha4.WorkerRole)
		}
	}
	if ControlPlanes(cfg) == 0 {
		return nil, errors.New("invalid kind config: no control-plane node")
	}
	return cfg, nil
}

// ControlPlanes counts the control-plane nodes of cfg.
func ControlPlanes(cfg *v1alpha4.Cluster) int {
	n := 0
	for _, node := range cfg.Nodes {
		if node.Role == v1alpha4.ControlPlaneRole {
			n++
		}
	}
	return n
}

// oneLine flattens yaml's multi-line error lists into one line.
func oneLine(err error) string {
	fields := strings.Fields(strings.ReplaceAll(err.Error(), "\n", " "))
	return strings.Replace(strings.Join(fields, " "), "unmarshal errors: ", "", 1)
}
