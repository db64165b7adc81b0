package kind

import (
	"bytes"
	"testing"

	"sigs.k8s.io/kind/pkg/cluster"

	"github.com/ckat/ckat/internal/log"
)

func TestKindLogger(t *testing.T) {
	var buf bytes.Buffer
	k := kindLogger{log.New(&buf, 1)}
	k.V(0).Info(" ✓ Preparing nodes 📦")
	k.V(1).Infof("%d nodes", 3)
	k.V(2).Info("hidden at verbosity 1")
	k.Warn("using podman due to KIND_EXPERIMENTAL_PROVIDER")
	k.Errorf("failed %s", "x")
	want := " ✓ Preparing nodes 📦\n3 nodes\nWARNING: using podman due to KIND_EXPERIMENTAL_PROVIDER\nERROR: failed x\n"
	if buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
	if !k.V(1).Enabled() || k.V(2).Enabled() {
		t.Error("levels enabled wrongly")
	}
	// kind accepts it as its logger.
	_ = cluster.NewProvider(cluster.ProviderWithLogger(k), cluster.ProviderWithDocker())
}
