package node

import (
	"os"
	"path/filepath"
	"testing"
)

// TestNodeKeepsItsExecutablesWhenTheHostsAreReplaced: ckat rebuilt or
// upgraded on the host while a node runs (the file removed and written
// anew, as go build and package managers do) leaves the node able to bind
// its executables into new containers.
func TestNodeKeepsItsExecutablesWhenTheHostsAreReplaced(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node in new namespaces")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	host := filepath.Join(t.TempDir(), "ckat")
	copyFile(t, self, host)
	n := startNodeFrom(t, t.TempDir(), "172.30.14.10", host)

	if err := os.Remove(host); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(host, []byte("#!/bin/sh\necho the new build\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	got := n.must(t, "touch /tmp/bound && mount --bind /run/ckat/bin/ckat /tmp/bound && echo bound && umount /tmp/bound")
	if got != "bound\n" {
		t.Fatalf("binding the node's ckat after the host's was replaced printed %q", got)
	}
}

func TestPinExecutablesFallsBackWhereItCannotLink(t *testing.T) {
	ckat := filepath.Join(t.TempDir(), "ckat")
	if err := os.WriteFile(ckat, []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A lab directory where run/bin cannot be made: a file is in the way.
	labDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(labDir, "run"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := pinExecutables(labDir, ckat, ""); got != ckat {
		t.Fatalf("pinExecutables = %q, want the original %q", got, ckat)
	}
	// A lab directory that can hold the link.
	labDir = t.TempDir()
	got, _ := pinExecutables(labDir, ckat, "")
	if want := filepath.Join(labDir, pinnedDir, "ckat"); got != want {
		t.Fatalf("pinExecutables = %q, want %q", got, want)
	}
	if !same(got, ckat) {
		t.Fatalf("%s is not a link of %s", got, ckat)
	}
}
