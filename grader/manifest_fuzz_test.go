package grader

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckat/ckat/internal/kubeadm"
	"github.com/ckat/ckat/internal/staticpod"
)

// FuzzParseManifest feeds the static pod reader arbitrary bytes: it must never
// panic, every error must be a one-line *staticpod.Error with a line inside
// the file, and every manifest it accepts must be one the checks can judge.
func FuzzParseManifest(f *testing.F) {
	files, _ := filepath.Glob("testdata/manifests/*/*.yaml")
	parse, _ := filepath.Glob("../internal/staticpod/testdata/*.yaml")
	files = append(files, parse...)
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// One node per fuzzing process: inputs run one at a time in each.
	node := newHostDirNode(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := staticpod.Decode(data, staticpod.Options{})
		if err != nil {
			var me *staticpod.Error
			if !errors.As(err, &me) {
				t.Fatalf("error %v is a %T, want a *staticpod.Error", err, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans lines: %q", err)
			}
			if lines := strings.Count(string(data), "\n") + 1; me.Line < 0 || me.Line > lines+1 {
				t.Fatalf("error line %d outside the file's %d lines: %v", me.Line, lines, err)
			}
			return
		}
		pod := m.Pod
		if len(pod.Spec.Containers) == 0 {
			t.Fatal("accepted a pod without containers")
		}
		node.writeNodeFile(t, kubeadm.EtcdManifest, data)
		r := (&EtcdDataVolumeCheck{DataDir: restoredDataDir}).Run(context.Background(), Target{Node: node})
		if r.Status != StatusPass && r.Status != StatusFail {
			t.Fatalf("an accepted manifest graded %s: %s", r.Status, r.Message)
		}
		c := pod.Spec.Containers[0]
		_ = FlagValues(c, "--data-dir")
	})
}
