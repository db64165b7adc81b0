package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/internal/testbin"
	"github.com/ckat/ckat/labs"
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
	if rep.Ready || rep.Provider != "kind" || len(rep.Checks) != 1 || rep.Checks[0].Status != labs.FindingProblem {
		t.Errorf("report %+v, want not ready with one problem", rep)
	}
}

func TestDoctorLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("uses bin/kube-apiserver")
	}
	apiserver := filepath.Join(testbin.Dir(t, "kube-apiserver"), "kube-apiserver")
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
			[]string{"kube-apiserver PROBLEM kube-apiserver " + notExecutable + " (from --kube-apiserver) is not an executable file",
				"fix: build it with 'make kube-apiserver'", "cannot run labs here"}},
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
	missing := filepath.Join(t.TempDir(), "missing")
	t.Setenv("CKAT_KUBE_APISERVER", missing)
	out, code := doctor(t)
	for _, want := range []string{"kube-apiserver PROBLEM kube-apiserver " + missing + " (from CKAT_KUBE_APISERVER) does not exist",
		"fix: build it with 'make kube-apiserver'", "The local provider cannot run labs here"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if code != cli.ExitFailed {
		t.Errorf("exit %d, want 1", code)
	}
}

func TestDoctorBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--provider", "vagrant"}, `unknown provider "vagrant": known providers are kind, local`},
		{[]string{"-o", "yaml"}, `invalid argument "yaml" for "-o, --output" flag: want text or json`},
	}
	for _, tt := range tests {
		out, code := doctor(t, tt.args...)
		if code != cli.ExitCannotRun || out != tt.want {
			t.Errorf("%v: exit %d %q, want exit 2 %q", tt.args, code, out, tt.want)
		}
	}
}
