package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs/kind"
)

// doctor runs `ckat doctor` with args and returns stdout and the exit
// status as the command line would.
func doctor(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := cli.Streams{In: strings.NewReader(""), Out: &out, Err: &errOut}
	cmd := NewCommand(log.NoOp(), streams)
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.ExecuteContext(context.Background())
	if err != nil && cli.ExitCode(err) != cli.ExitFailed {
		return err.Error(), cli.ExitCode(err)
	}
	return squeeze(out.String()), cli.ExitCode(err)
}

// squeeze collapses the table's column padding to single spaces.
func squeeze(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}

// binDir is where `make build` puts ckat and kube-apiserver.
func binDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("CKAT_BIN_DIR"); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "bin")
}

func TestDoctorKindWithoutEngine(t *testing.T) {
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("needs a docker client")
	}
	if exec.Command("docker", "info").Run() == nil {
		t.Skip("a docker engine answers here")
	}
	out, code := doctor(t, "--provider", "kind")
	if code != cli.ExitFailed {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{
		"container engine PROBLEM docker is installed but no engine answers",
		"fix: start the Docker daemon",
		"The kind provider cannot run labs here",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	out, code = doctor(t, "--provider", "kind", "-o", "json")
	if code != cli.ExitFailed {
		t.Errorf("json: exit %d, want 1", code)
	}
	var rep Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json output: %v\n%s", err, out)
	}
	if rep.Ready || rep.Provider != "kind" || len(rep.Checks) != 1 || rep.Checks[0].Status != kind.StatusProblem {
		t.Errorf("report %+v, want not ready with one problem", rep)
	}
}

func TestDoctorLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("uses bin/kube-apiserver")
	}
	apiserver := filepath.Join(binDir(t), "kube-apiserver")
	if _, err := os.Stat(apiserver); err != nil {
		t.Fatalf("%s: %v: run make build", apiserver, err)
	}
	notExecutable := filepath.Join(t.TempDir(), "kube-apiserver")
	if err := os.WriteFile(notExecutable, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{"with kube-apiserver", []string{"--kube-apiserver", apiserver}, cli.ExitOK,
			[]string{"namespaces OK", "kube-apiserver OK " + apiserver, "overlayfs OK", "The local provider can run labs here."}},
		{"kube-apiserver not executable", []string{"--kube-apiserver", notExecutable}, cli.ExitFailed,
			[]string{"kube-apiserver PROBLEM " + notExecutable + " is not an executable file", "fix: build it with 'make kube-apiserver'", "cannot run labs here"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, code := doctor(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\n%s", code, tt.wantCode, out)
			}
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

func TestDoctorLocalFindsKubeAPIServerFromEnv(t *testing.T) {
	t.Setenv("CKAT_KUBE_APISERVER", filepath.Join(t.TempDir(), "missing"))
	f := kubeAPIServerFinding("")
	if f.Status != kind.StatusProblem || !strings.Contains(f.Message, "missing is not an executable file") {
		t.Errorf("got %+v", f)
	}
}

func TestDoctorBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--provider", "vagrant"}, `unknown provider "vagrant": use local or kind`},
		{[]string{"-o", "yaml"}, `invalid argument "yaml" for "-o, --output" flag: want text or json`},
	}
	for _, tt := range tests {
		out, code := doctor(t, tt.args...)
		if code != cli.ExitCannotRun || out != tt.want {
			t.Errorf("%v: exit %d %q, want exit 2 %q", tt.args, code, out, tt.want)
		}
	}
}

func TestHasFilesystem(t *testing.T) {
	if !hasFilesystem("testdata/filesystems-with-overlay", "overlay") {
		t.Error("overlay not found in filesystems-with-overlay")
	}
	if hasFilesystem("testdata/filesystems-without-overlay", "overlay") {
		t.Error("overlay found in filesystems-without-overlay")
	}
	if hasFilesystem("testdata/missing", "overlay") {
		t.Error("overlay found in a missing file")
	}
}

func TestKernelAtLeast(t *testing.T) {
	tests := []struct {
		release string
		want    bool
	}{
		{"6.8.0-1017-azure", true},
		{"5.11.0", true},
		{"5.10.209-198.858.amzn2.x86_64", false},
		{"4.19.0", false},
		{"garbage", false},
	}
	for _, tt := range tests {
		if got := kernelAtLeast(tt.release, 5, 11); got != tt.want {
			t.Errorf("kernelAtLeast(%q, 5, 11) = %v", tt.release, got)
		}
	}
}
