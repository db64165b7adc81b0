package local

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFindKubeAPIServer(t *testing.T) {
	dir := t.TempDir()
	exe := func(path string, mode os.FileMode) string {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
		return path
	}
	withBeside := filepath.Join(dir, "a", "ckat")
	beside := exe(filepath.Join(dir, "a", "kube-apiserver"), 0o755)
	lonely := filepath.Join(dir, "b", "ckat")
	onPath := exe(filepath.Join(dir, "path", "kube-apiserver"), 0o755)
	explicit := exe(filepath.Join(dir, "explicit", "kube-apiserver"), 0o755)
	notExec := exe(filepath.Join(dir, "noexec", "kube-apiserver"), 0o644)
	missing := filepath.Join(dir, "missing", "kube-apiserver")

	tests := []struct {
		name, explicit, env, ckat, path string
		want, wantErr                   string
	}{
		{name: "flag first", explicit: explicit, env: onPath, ckat: withBeside, want: explicit},
		{name: "env before beside", env: onPath, ckat: withBeside, want: onPath},
		{name: "beside ckat before PATH", ckat: withBeside, path: filepath.Dir(onPath), want: beside},
		{name: "PATH last", ckat: lonely, path: filepath.Dir(onPath), want: onPath},
		{name: "flag missing", explicit: missing, ckat: withBeside,
			wantErr: "kube-apiserver " + missing + " (from --kube-apiserver) does not exist: " + buildHint},
		{name: "env missing", env: missing, ckat: withBeside,
			wantErr: "kube-apiserver " + missing + " (from CKAT_KUBE_APISERVER) does not exist: " + buildHint},
		{name: "not executable", explicit: notExec, ckat: withBeside,
			wantErr: "kube-apiserver " + notExec + " (from --kube-apiserver) is not an executable file: " + buildHint},
		{name: "nowhere", ckat: lonely, path: filepath.Join(dir, "empty"),
			wantErr: "kube-apiserver not found next to " + lonely + " or on PATH: " + buildHint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(KubeAPIServerEnv, tt.env)
			t.Setenv("PATH", tt.path)
			got, err := findKubeAPIServer(tt.explicit, tt.ckat)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v\nwant %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestWithCkat: a provider given a ckat executable (through a symlink)
// finds the kube-apiserver beside it, as ckat's own doctor check says.
func TestWithCkat(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"ckat", "kube-apiserver"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(t.TempDir(), "ckat")
	if err := os.Symlink(filepath.Join(dir, "ckat"), link); err != nil {
		t.Fatal(err)
	}
	t.Setenv(KubeAPIServerEnv, "")
	t.Setenv("PATH", t.TempDir())
	p := New(nil, WithCkat(link))
	got, err := p.ckatExecutable()
	if err != nil || got != filepath.Join(dir, "ckat") {
		t.Fatalf("ckat executable: %q, %v; want %q", got, err, filepath.Join(dir, "ckat"))
	}
	if f := p.kubeAPIServerFinding(); f.Message != filepath.Join(dir, "kube-apiserver") {
		t.Errorf("kube-apiserver finding: %+v; want the one beside %s", f, got)
	}
}
