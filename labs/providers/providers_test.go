package providers

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ckat/ckat/labs"
)

func TestGet(t *testing.T) {
	p, err := Get("local")
	if err != nil || p.Name() != "local" {
		t.Fatalf("Get(local) = %v, %v", p, err)
	}
	_, err = Get("docker")
	want := `unknown provider "docker": known providers are ` + strings.Join(Names(), ", ")
	if err == nil || err.Error() != want {
		t.Fatalf("Get(docker) error %v, want %s", err, want)
	}
}

func TestOpen(t *testing.T) {
	t.Setenv("CKAT_HOME", t.TempDir())
	t.Setenv("CKAT_LAB", "")
	ctx := context.Background()
	if _, err := Open(ctx, ""); !errors.Is(err, labs.ErrNotFound) {
		t.Errorf("Open with no labs: %v, want ErrNotFound", err)
	}
	for _, r := range []labs.Record{{Name: "mine", Provider: "local"}, {Name: "odd", Provider: "vagrant"}} {
		if _, err := labs.CreateDir(r); err != nil {
			t.Fatal(err)
		}
	}
	lab, err := Open(ctx, "mine")
	if err != nil || lab.Name() != "mine" || lab.Provider() != "local" {
		t.Fatalf("Open(mine) = %v, %v", lab, err)
	}
	st, err := lab.Status(ctx)
	if err != nil || st.State != labs.StateDead || !strings.Contains(st.Message, "never started") {
		t.Errorf("status of a lab that never started: %+v, %v", st, err)
	}
	if _, err := Open(ctx, "odd"); err == nil || !strings.HasPrefix(err.Error(), `lab "odd": unknown provider "vagrant"`) {
		t.Errorf("Open(odd): %v", err)
	}
	if _, err := Open(ctx, "nosuch"); !errors.Is(err, labs.ErrNotFound) {
		t.Errorf("Open(nosuch): %v", err)
	}
	if _, err := Open(ctx, ""); err == nil || !strings.Contains(err.Error(), "there are 2 labs") {
		t.Errorf("Open with two labs and no name: %v", err)
	}
}
