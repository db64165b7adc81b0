package scenarios

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ckat/ckat/labs"
)

func TestStateRoundTrip(t *testing.T) {
	t.Setenv("CKAT_HOME", t.TempDir())
	_, err := labs.CreateDir(labs.Record{Name: "lab1", Provider: "local"})
	require.NoError(t, err)

	_, _, err = LoadState("lab1")
	require.ErrorIs(t, err, ErrNoScenario)
	require.ErrorContains(t, err, `lab "lab1" runs no scenario`)

	s := loadEverything(t)
	p, err := s.GenerateParams(9)
	require.NoError(t, err)
	st := State{Scenario: "everything", Seed: 9, Stage: "second", Params: p, HintsShown: map[string]int{"first": 1}}
	require.NoError(t, SaveState("lab1", st, s.Source()))
	got, gs, err := LoadState("lab1")
	require.NoError(t, err)
	require.Equal(t, st, got)
	require.Equal(t, "everything", gs.Metadata.Name)

	dir, _ := labs.Dir("lab1")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "scenario.json"), []byte("{"), 0o644))
	_, _, err = LoadState("lab1")
	require.ErrorContains(t, err, "scenario.json is damaged")
}

// TestStateLoaderParsesOnce: labs started from one scenario source share
// one parsed scenario; a lab whose stage the scenario lacks is refused.
func TestStateLoaderParsesOnce(t *testing.T) {
	t.Setenv("CKAT_HOME", t.TempDir())
	s := loadEverything(t)
	p, err := s.GenerateParams(9)
	require.NoError(t, err)
	for _, lab := range []string{"a", "b", "c"} {
		_, err := labs.CreateDir(labs.Record{Name: lab, Provider: "local"})
		require.NoError(t, err)
		stage := "first"
		if lab == "c" {
			stage = "nosuchstage"
		}
		require.NoError(t, SaveState(lab, State{Scenario: "everything", Seed: 9, Stage: stage, Params: p}, s.Source()))
	}
	var l StateLoader
	_, sa, err := l.Load("a")
	require.NoError(t, err)
	_, sb, err := l.Load("b")
	require.NoError(t, err)
	require.Same(t, sa, sb)
	_, _, err = l.Load("c")
	require.ErrorContains(t, err, `names stage "nosuchstage", which scenario everything does not have`)
}
