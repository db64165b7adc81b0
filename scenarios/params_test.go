package scenarios

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

func loadEverything(t *testing.T) *Scenario {
	t.Helper()
	s, err := LoadFile("testdata/valid-everything.yaml")
	require.NoError(t, err)
	return s
}

func TestParamsSameSeedSameValues(t *testing.T) {
	s := loadEverything(t)
	for _, seed := range []uint64{0, 1, 42, 1 << 60} {
		a, err := s.GenerateParams(seed)
		require.NoError(t, err)
		b, err := s.GenerateParams(seed)
		require.NoError(t, err)
		require.Equal(t, a, b, "seed %d", seed)
	}
}

func TestParamsDifferentSeedsDiffer(t *testing.T) {
	s := loadEverything(t)
	seen := map[string]uint64{}
	for seed := range uint64(20) {
		p, err := s.GenerateParams(seed)
		require.NoError(t, err)
		key := p["word"] + "/" + p["other"] + "/" + p["suffix"]
		prev, dup := seen[key]
		require.False(t, dup, "seeds %d and %d drew the same values %s", prev, seed, key)
		seen[key] = seed
	}
}

func TestParamsGenerators(t *testing.T) {
	s := loadEverything(t)
	for seed := range uint64(50) {
		p, err := s.GenerateParams(seed)
		require.NoError(t, err)
		require.Contains(t, words, p["word"])
		require.Contains(t, words, p["other"])
		require.NotEqual(t, p["word"], p["other"], "word parameters are distinct")
		require.Regexp(t, regexp.MustCompile(`^[a-z0-9]{6}$`), p["suffix"])
		require.Contains(t, []string{"red", "blue"}, p["colour"])
		require.Equal(t, "fixed", p["fixed"])
		// path is declared first but uses word and suffix.
		require.Equal(t, "/opt/"+p["word"]+"/"+p["suffix"]+".db", p["path"])
	}
}

func TestParamsOneOfReachesEveryValue(t *testing.T) {
	s := loadEverything(t)
	got := map[string]bool{}
	for seed := range uint64(40) {
		p, err := s.GenerateParams(seed)
		require.NoError(t, err)
		got[p["colour"]] = true
	}
	require.Equal(t, map[string]bool{"red": true, "blue": true}, got)
}

func TestRender(t *testing.T) {
	s := loadEverything(t)
	p := Params{"path": "/opt/oak/abc123.db", "word": "oak", "other": "fern", "suffix": "abc123", "colour": "red", "fixed": "fixed"}
	r, err := s.Render(p, LabFacts{Name: "lab7", Node: "controlplane", Provider: "local"})
	require.NoError(t, err)
	require.Equal(t, "Back up https://127.0.0.1:2379 to /opt/oak/abc123.db.", r.Stages[0].Task)
	require.Equal(t, "/opt/oak/abc123.db", r.Stages[0].Checks[0].SnapshotFile.Path)
	require.Equal(t, []string{"one", "two /opt/oak/abc123.db"}, r.Stages[0].Hints)
	require.Equal(t, "ns-oak", r.Setup[3].Namespace.Name)
	require.Equal(t, map[string]string{"colour": "red"}, r.Setup[4].ConfigMap.Data)
	require.Equal(t, "ns-oak", r.Setup[7].Service.Namespace)
	require.Equal(t, 80, r.Setup[7].Service.Port)
	require.Equal(t, "echo controlplane /etc/kubernetes/pki/etcd/ca.crt", r.Setup[10].Command.Script)
	require.Equal(t, "ns-oak", r.Stages[1].Checks[2].Objects.Present[0].Namespace)
	require.Equal(t, "networking.k8s.io/v1", r.Stages[1].Checks[2].Objects.Present[1].APIVersion)
	require.Equal(t, "fern", r.Stages[1].Checks[2].Objects.Absent[0].Name)
	require.Equal(t, "ns-oak", r.Stages[0].Next[0].Delete.Name)
	require.Equal(t, []string{"/opt/oak"}, r.Cleanup)
	// The source is untouched.
	require.Equal(t, "{{.params.path}}", s.Stages[0].Checks[0].SnapshotFile.Path)
}

func TestRenderMissingParamFails(t *testing.T) {
	s := loadEverything(t)
	_, err := s.Render(Params{"word": "oak"}, LabFacts{})
	require.ErrorContains(t, err, "valid-everything.yaml:30:55:")
	require.ErrorContains(t, err, `map has no entry for key "other"`)
}

func TestRenderAliasesEverywhere(t *testing.T) {
	all, err := Builtin()
	require.NoError(t, err)
	for _, s := range all {
		if s.Metadata.Name != "etcd-backup-restore" {
			continue
		}
		p, err := s.GenerateParams(3)
		require.NoError(t, err)
		r, err := s.Render(p, LabFacts{Name: "x", Node: "controlplane"})
		require.NoError(t, err)
		// present: *seeded is used in both stages; both copies are rendered.
		want := "app-" + p["word"]
		require.Equal(t, want, r.Stages[0].Checks[1].SnapshotContents.Present[0].Name)
		require.Equal(t, want, r.Stages[1].Checks[0].SnapshotContents.Present[0].Name)
		objects := r.Stages[1].Checks[len(r.Stages[1].Checks)-1]
		require.NotNil(t, objects.Objects, "the restore stage's last check is objects-restored")
		require.Equal(t, want, objects.Objects.Present[0].Name)
		return
	}
	t.Fatal("etcd-backup-restore not found")
}
