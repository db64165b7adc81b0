package nsenter

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestExecArgsRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		dir      string
		env, cmd []string
		wantDir  string
	}{
		{name: "defaults", cmd: []string{"ls", "-l"}, wantDir: Home},
		{name: "dir and env", dir: "/etc/kubernetes", env: []string{"A=1", "B=x y"}, cmd: []string{"sh", "-c", "echo $A"}, wantDir: "/etc/kubernetes"},
		{name: "command that looks like a flag", cmd: []string{"-C", "--", "-e"}, wantDir: Home},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := ExecArgs(tc.dir, tc.env, tc.cmd)
			if args[0] != ExecMarker {
				t.Fatalf("args start with %q, want %q", args[0], ExecMarker)
			}
			dir, env, cmd, err := parseArgs(args[1:])
			if err != nil || dir != tc.wantDir || !slices.Equal(env, tc.env) || !slices.Equal(cmd, tc.cmd) {
				t.Errorf("parseArgs(%q) = %q, %q, %q, %v", args, dir, env, cmd, err)
			}
		})
	}
}

func TestParseArgsErrors(t *testing.T) {
	for _, args := range [][]string{nil, {"--"}, {"-C"}, {"-x", "--", "ls"}, {"ls"}} {
		if _, _, _, err := parseArgs(args); err == nil {
			t.Errorf("parseArgs(%q) succeeded, want an error", args)
		}
	}
}

func TestEnviron(t *testing.T) {
	t.Setenv("TERM", "xterm-256color")
	t.Setenv("KUBECONFIG", "/host/kubeconfig") // the host's must not leak in
	env := Environ("controlplane", []string{"KUBECONFIG=/etc/kubernetes/super-admin.conf", "EXTRA=1"})
	want := []string{
		"PATH=" + Path, "HOME=/root", "KUBECONFIG=/etc/kubernetes/super-admin.conf", "HOSTNAME=controlplane",
		"USER=root", "LOGNAME=root", "SHELL=/bin/bash", `PS1=\u@\h:\w\$ `, "TERM=xterm-256color", "EXTRA=1",
	}
	if !slices.Equal(env, want) {
		t.Errorf("Environ =\n%q\nwant\n%q", env, want)
	}
}

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	for name, mode := range map[string]os.FileMode{"tool": 0o755, "data": 0o644} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, mode); err != nil {
			t.Fatal(err)
		}
	}
	path := "/nonexistent:" + dir
	if got, err := lookPath("tool", path); err != nil || got != filepath.Join(dir, "tool") {
		t.Errorf("lookPath(tool) = %q, %v", got, err)
	}
	if _, err := lookPath("missing", path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("lookPath(missing) error = %v, want not exist", err)
	}
	if _, err := lookPath("data", path); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("lookPath(data) error = %v, want permission", err)
	}
	if got, err := lookPath(filepath.Join(dir, "tool"), ""); err != nil || got != filepath.Join(dir, "tool") {
		t.Errorf("lookPath(absolute) = %q, %v", got, err)
	}
}
