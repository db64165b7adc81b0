package e2e

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ckat/ckat/labs/providers"
	"github.com/ckat/ckat/scenarios"
)

// builtinNames lists the built-in scenarios by name, in the order ckat
// names them.
func builtinNames(t *testing.T) []string {
	t.Helper()
	all, err := scenarios.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(all))
	for _, s := range all {
		names = append(names, s.Metadata.Name)
	}
	sort.Strings(names)
	return names
}

// TestBadInput checks the one-line message and exit status of every
// command for input it cannot act on, and that nothing is left behind.
func TestBadInput(t *testing.T) {
	c := newCkat(t)
	const notFound = `ckat: lab not found: no lab called "nosuch" (see 'ckat lab list')`
	const buildHint = "build it with 'make kube-apiserver' in ckat's source tree (it writes bin/kube-apiserver next to bin/ckat), or point --kube-apiserver or CKAT_KUBE_APISERVER at one"
	// An instructor's scenario with three problems: start names each
	// with its line and column, and makes no lab.
	sdir := t.TempDir()
	bad := filepath.Join(sdir, "mine.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: ckat.dev/v1alpha1\nkind: Scenario\nmetadata: {name: mine, title: Mine}\n"+
		"stages:\n- name: s\n  task: t\n  checks:\n  - {name: c, nosuch: {}}\n  solution: \"true\"\n  extra: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badScenario := "ckat: " + bad + `:8:5: stages[0].checks[0]: check "c" has no type: set one of snapshotFile, snapshotContents, restoredDataDir, etcdDataVolume, manifestPresent, manifestArg, etcdServers, etcdServing, apiServerReady, objects` + "\n" +
		bad + `:8:15: stages[0].checks[0]: unknown field "nosuch" (known: name, points, hint, snapshotFile, snapshotContents, restoredDataDir, etcdDataVolume, manifestPresent, manifestArg, etcdServers, etcdServing, apiServerReady, objects, requires)` + "\n" +
		bad + `:10:3: stages[0]: unknown field "extra" (known: name, task, checks, hints, solution, next)`
	tests := []struct {
		name   string
		env    []string
		args   []string
		code   int
		stderr string
	}{
		{"start an invalid scenario", nil, []string{"start", "mine", "--scenario-dir", sdir}, 1, badScenario},
		{"start an unknown scenario", nil, []string{"start", "nosuch"}, 1,
			`ckat: scenario not found: no scenario called "nosuch" (there are: ` + strings.Join(builtinNames(t), ", ") + `)`},
		{"start unknown lab", nil, []string{"lab", "start", "nosuch"}, 1, notFound},
		{"stop unknown lab", nil, []string{"lab", "stop", "nosuch"}, 1, notFound},
		{"delete unknown lab", nil, []string{"delete", "--lab", "nosuch"}, 1, notFound},
		{"exec on unknown lab", nil, []string{"exec", "--lab", "nosuch", "--", "true"}, 1, notFound},
		{"ssh to unknown lab", nil, []string{"ssh", "--lab", "nosuch"}, 1, notFound},
		{"kubeconfig of unknown lab", nil, []string{"kubeconfig", "--lab", "nosuch"}, 1, notFound},
		{"stop without labs", nil, []string{"stop"}, 1, "ckat: lab not found: there are no labs yet: start one with 'ckat start etcd-backup-restore'"},
		{"invalid name", nil, []string{"lab", "create", "Bad_Name"}, 2, `ckat: invalid lab name "Bad_Name": use 1 to 32 lowercase letters, digits and '-', starting and ending with a letter or digit`},
		{"no name", nil, []string{"lab", "create"}, 2, "ckat: 'ckat lab create' takes one argument, the lab's name, got 0 (see 'ckat lab create --help')"},
		{"unknown provider", nil, []string{"lab", "create", "x", "--provider", "nosuch"}, 2, `ckat: unknown provider "nosuch": known providers are ` + strings.Join(providers.Names(), ", ")},
		{"missing kube-apiserver flag", nil, []string{"lab", "create", "x", "--kube-apiserver", "/nonexistent/kube-apiserver"}, 1,
			"ckat: kube-apiserver /nonexistent/kube-apiserver (from --kube-apiserver) does not exist: " + buildHint},
		{"missing kube-apiserver env", []string{"CKAT_KUBE_APISERVER=/nonexistent/kube-apiserver"}, []string{"lab", "create", "x"}, 1,
			"ckat: kube-apiserver /nonexistent/kube-apiserver (from CKAT_KUBE_APISERVER) does not exist: " + buildHint},
		{"unknown output format", nil, []string{"lab", "list", "-o", "yaml"}, 2, `ckat: invalid argument "yaml" for "-o, --output" flag: want text or json (see 'ckat lab list --help')`},
		{"exec without a command", nil, []string{"exec", "--lab", "x"}, 2, "ckat: say which command to run: ckat exec -- CMD [ARG...]"},
		{"delete with --lab and --all", nil, []string{"delete", "--lab", "x", "--all"}, 2, "ckat: use either --lab NAME or --all, not both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.env = tt.env
			defer func() { c.env = nil }()
			r := c.run(tt.args...)
			if r.code != tt.code || r.stderr != tt.stderr+"\n" {
				t.Errorf("ckat %s:\n got exit %d, stderr %q\nwant exit %d, stderr %q", strings.Join(tt.args, " "), r.code, r.stderr, tt.code, tt.stderr+"\n")
			}
			if r.stdout != "" {
				t.Errorf("stdout: %q, want nothing", r.stdout)
			}
			if entries, _ := os.ReadDir(filepath.Join(c.home, "labs")); len(visible(entries)) > 0 {
				t.Errorf("left in the labs directory: %v", visible(entries))
			}
		})
	}
}

// visible drops dot files (the labs directory's lock) from a listing.
func visible(entries []os.DirEntry) []string {
	var names []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	return names
}

// TestDeleteRefusesWhatCkatDidNotMake checks that delete leaves alone a
// directory without lab.json and a lab directory that is a symlink, and
// every file in them.
func TestDeleteRefusesWhatCkatDidNotMake(t *testing.T) {
	c := newCkat(t)
	labsDir := filepath.Join(c.home, "labs")
	foreign := filepath.Join(labsDir, "foreign")
	if err := os.MkdirAll(foreign, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(foreign, "notes.txt"), "mine")

	elsewhere := t.TempDir()
	write(t, filepath.Join(elsewhere, "lab.json"), `{"name":"linked","provider":"local","created":"2026-01-01T00:00:00Z"}`)
	write(t, filepath.Join(elsewhere, "notes.txt"), "mine too")
	if err := os.Symlink(elsewhere, filepath.Join(labsDir, "linked")); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"delete", "--lab", "foreign"}, "ckat: refusing to delete " + foreign + ": it has no lab.json, so ckat did not create it"},
		{[]string{"lab", "delete", "foreign"}, "ckat: refusing to delete " + foreign + ": it has no lab.json, so ckat did not create it"},
		{[]string{"lab", "delete", "linked"}, "ckat: refusing to delete " + filepath.Join(labsDir, "linked") + ": not a directory ckat created (it is a symlink)"},
		{[]string{"delete", "--lab", "linked"}, "ckat: refusing to delete " + filepath.Join(labsDir, "linked") + ": not a directory ckat created (it is a symlink)"},
	}
	for _, tt := range tests {
		r := c.run(tt.args...)
		if r.code != 1 || r.stderr != tt.stderr+"\n" {
			t.Errorf("ckat %s:\n got exit %d, stderr %q\nwant exit 1, stderr %q", strings.Join(tt.args, " "), r.code, r.stderr, tt.stderr+"\n")
		}
	}
	c.must("delete", "--all")
	for _, f := range []string{filepath.Join(foreign, "notes.txt"), filepath.Join(elsewhere, "notes.txt"), filepath.Join(elsewhere, "lab.json")} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("%s after the refused deletes and delete --all: %v", f, err)
		}
	}
	if fi, err := os.Lstat(filepath.Join(labsDir, "linked")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlinked lab directory after delete: %v", err)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
