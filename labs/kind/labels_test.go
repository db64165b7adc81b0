package kind

import (
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/ckat/ckat/kindconfigs"
)

// TestLabelNodes: every node of every embedded config gets the lab's
// label, and the labelled config is still one kind accepts.
func TestLabelNodes(t *testing.T) {
	for _, name := range kindconfigs.Names() {
		t.Run(name, func(t *testing.T) {
			raw, err := kindconfigs.Get(name)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := kindconfigs.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			labelNodes(cfg, "my-lab")
			out, err := yaml.Marshal(cfg)
			if err != nil {
				t.Fatal(err)
			}
			again, err := kindconfigs.Parse(out)
			if err != nil {
				t.Fatalf("the labelled config does not parse: %v\n%s", err, out)
			}
			if len(again.Nodes) != len(cfg.Nodes) || len(again.Nodes) == 0 {
				t.Fatalf("%d nodes after labelling, want %d", len(again.Nodes), len(cfg.Nodes))
			}
			for i, n := range again.Nodes {
				if got := n.Labels[LabLabel]; got != "my-lab" {
					t.Errorf("node %d (%s): label %s=%q, want my-lab", i, n.Role, LabLabel, got)
				}
			}
		})
	}
}
