package kindconfigs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
)

func TestEmbeddedConfigs(t *testing.T) {
	tests := []struct {
		name          string
		controlPlanes int
		workers       int
	}{
		{"single-control-plane", 1, 0},
		{"control-plane-and-two-workers", 1, 2},
		{"three-control-planes", 3, 0},
	}
	if got, want := strings.Join(Names(), ","), "control-plane-and-two-workers,single-control-plane,three-control-planes"; got != want {
		t.Fatalf("Names() = %s, want %s", got, want)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := Get(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			onDisk, err := os.ReadFile(tt.name + ".yaml")
			if err != nil {
				t.Fatal(err)
			}
			if string(data) != string(onDisk) {
				t.Errorf("Get(%q) differs from %s.yaml", tt.name, tt.name)
			}
			cfg, err := Parse(data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			workers := 0
			for _, n := range cfg.Nodes {
				if n.Role == v1alpha4.WorkerRole {
					workers++
				}
				if n.Image == "" {
					t.Errorf("node image not defaulted")
				}
			}
			if cp := ControlPlanes(cfg); cp != tt.controlPlanes || workers != tt.workers {
				t.Errorf("%d control planes and %d workers, want %d and %d", cp, workers, tt.controlPlanes, tt.workers)
			}
		})
	}
}

func TestGetDefaultAndUnknown(t *testing.T) {
	def, err := Get("")
	if err != nil {
		t.Fatal(err)
	}
	single, _ := Get("single-control-plane")
	if string(def) != string(single) {
		t.Errorf("Get(\"\") is not %s", Default)
	}
	for _, name := range []string{"two-control-planes", "../kindconfigs", "single-control-plane.yaml", "/etc/passwd"} {
		_, err := Get(name)
		if err == nil {
			t.Errorf("Get(%q) succeeded", name)
			continue
		}
		if !strings.Contains(err.Error(), "choose one of control-plane-and-two-workers, single-control-plane, three-control-planes") {
			t.Errorf("Get(%q): %v: does not list the choices", name, err)
		}
	}
}

func TestParseFiles(t *testing.T) {
	wantErr := map[string]string{
		"invalid-unknown-field.yaml":     "field rolee not found",
		"invalid-api-version.yaml":       `apiVersion is "kind.x-k8s.io/v1alpha3"`,
		"invalid-kind.yaml":              `kind is "Config"`,
		"invalid-yaml.yaml":              "not a kind config: yaml: line",
		"invalid-role.yaml":              `nodes[0]: unknown role "master"`,
		"invalid-only-workers.yaml":      "no control-plane node",
		"invalid-mount-propagation.yaml": "Unknown MountPropagation",
	}
	wantNodes := map[string]int{
		"valid-labels-and-image.yaml": 2,
		"valid-no-nodes.yaml":         1,
	}
	paths, _ := filepath.Glob("testdata/*.yaml")
	if len(paths) != len(wantErr)+len(wantNodes) {
		t.Fatalf("%d files in testdata, the table has %d", len(paths), len(wantErr)+len(wantNodes))
	}
	for _, p := range paths {
		base := filepath.Base(p)
		t.Run(base, func(t *testing.T) {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := Parse(data)
			if strings.HasPrefix(base, "valid-") {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if len(cfg.Nodes) != wantNodes[base] {
					t.Errorf("%d nodes, want %d", len(cfg.Nodes), wantNodes[base])
				}
				return
			}
			if err == nil {
				t.Fatal("Parse succeeded")
			}
			if !strings.Contains(err.Error(), wantErr[base]) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want one line containing %q", err, wantErr[base])
			}
		})
	}
}
