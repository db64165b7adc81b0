//go:build e2e_kind

package kind_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/ckat/ckat/internal/testbin"
	"github.com/ckat/ckat/labs/kind"
	"github.com/ckat/ckat/scenarios/selftest"
)

// TestKindSelftest runs every built-in scenario on kind labs through the
// ckat binary, as a CI job would.
func TestKindSelftest(t *testing.T) {
	kind.RequireEngine(t)
	ckat := testbin.Ckat(t)
	home := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 70*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, ckat, "selftest", "--provider", "kind")
	cmd.Env = append(os.Environ(), "CKAT_HOME="+home)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	t.Cleanup(func() { kind.DeleteClusters(t, kind.ClusterName(selftest.LabPrefix)) })
	began := time.Now()
	err := cmd.Run()
	t.Logf("ckat selftest --provider kind took %s:\n%s", time.Since(began).Round(time.Second), out.String())
	if err != nil {
		t.Fatalf("ckat selftest --provider kind: %v", err)
	}
}
