package kind

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ckat/ckat/labs"
)

func TestParseEngineInfo(t *testing.T) {
	tests := []struct {
		file, bin string
		want      Engine
		wantErr   string
	}{
		{"valid-docker-info.json", "docker", Engine{Binary: "docker", ServerVersion: "28.0.4", MemTotal: 16766660608, CgroupVersion: "2"}, ""},
		{"valid-podman-info.json", "podman", Engine{Binary: "podman", ServerVersion: "5.2.2", MemTotal: 3052302336, CgroupVersion: "2"}, ""},
		{"valid-docker-info-cgroup1.json", "docker", Engine{Binary: "docker", ServerVersion: "20.10.24", MemTotal: 8242360320, CgroupVersion: "1"}, ""},
		{"invalid-docker-info-no-daemon.json", "docker", Engine{}, "the daemon reported no server version"},
		{"invalid-docker-info-truncated.json", "docker", Engine{}, "unreadable output"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseEngineInfo(tt.bin, data)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestFindEngineNoClients(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("KIND_EXPERIMENTAL_PROVIDER", "")
	_, err := FindEngine(context.Background())
	if !errors.Is(err, ErrNoEngine) {
		t.Fatalf("error %v, want ErrNoEngine", err)
	}
	if want := "no docker, podman or nerdctl found on PATH: install Docker"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q, want it to contain %q", err, want)
	}
}

// engineAnswers says whether a real docker engine answers on this
// machine; the tests below need one that does not.
func engineAnswers(t *testing.T) bool {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("needs a docker client without an engine; there is no docker client here")
	}
	return exec.Command("docker", "info").Run() == nil
}

func TestFindEngineClientWithoutDaemon(t *testing.T) {
	if engineAnswers(t) {
		t.Skip("a docker engine answers here; the kind e2e test covers this machine")
	}
	t.Setenv("KIND_EXPERIMENTAL_PROVIDER", "docker")
	start := time.Now()
	_, err := FindEngine(context.Background())
	if !errors.Is(err, ErrNoEngine) {
		t.Fatalf("error %v, want ErrNoEngine", err)
	}
	msg := err.Error()
	for _, want := range []string{"docker is installed but no engine answers: start the Docker daemon", "Cannot connect to the Docker daemon"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q, want it to contain %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	if d := time.Since(start); d > engineTimeout {
		t.Errorf("took %s", d)
	}
	findings := New(nil).Preflight(context.Background())
	if len(findings) != 1 || findings[0].Status != labs.FindingProblem ||
		!strings.HasPrefix(findings[0].Message, "docker is installed but no engine answers (") ||
		!strings.HasPrefix(findings[0].Fix, "start the Docker daemon") {
		t.Errorf("Preflight = %+v, want one problem saying docker is installed but no engine answers, with the fix", findings)
	}
}

func TestMemoryFinding(t *testing.T) {
	tests := []struct {
		name                  string
		engineTotal, localAvl int64
		status, message       string
	}{
		{"plenty", 16 << 30, 20 << 30, labs.FindingOK, "20.0 GiB available"},
		{"small engine VM", 2 << 30, 20 << 30, labs.FindingWarning, "the container engine has 2.0 GiB in all"},
		{"little free here", 16 << 30, 3 << 30, labs.FindingWarning, "3.0 GiB available; a kind lab wants at least 4.0 GiB free"},
		{"remote engine", 8 << 30, 0, labs.FindingOK, "8.0 GiB on the engine's host"},
		{"unknown", 0, 0, labs.FindingWarning, "could not measure memory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := memoryFinding(tt.engineTotal, tt.localAvl)
			if f.Status != tt.status || !strings.Contains(f.Message, tt.message) {
				t.Errorf("got %s %q, want %s containing %q", f.Status, f.Message, tt.status, tt.message)
			}
			if f.Status != labs.FindingOK && f.Fix == "" {
				t.Error("no fix given")
			}
		})
	}
}

func TestCgroupFinding(t *testing.T) {
	tests := []struct {
		version, image, status, message string
	}{
		{"2", DefaultNodeImage, labs.FindingOK, "cgroup v2"},
		{"1", DefaultNodeImage, labs.FindingProblem, "refuses"},
		{"1", "kindest/node:v1.35.0", labs.FindingProblem, "refuses"},
		{"1", "kindest/node:v1.34.3@sha256:abc", labs.FindingOK, "still accepted by Kubernetes 1.34"},
		{"1", "my-registry/node:latest", labs.FindingProblem, "refuses"},
		{"", DefaultNodeImage, labs.FindingWarning, "did not say"},
	}
	for _, tt := range tests {
		t.Run(tt.version+" "+tt.image, func(t *testing.T) {
			f := cgroupFinding(tt.version, tt.image)
			if f.Status != tt.status || !strings.Contains(f.Message, tt.message) {
				t.Errorf("got %s %q, want %s containing %q", f.Status, f.Message, tt.status, tt.message)
			}
			if f.Status == labs.FindingProblem && !strings.Contains(f.Fix, "failCgroupV1: false") {
				t.Errorf("fix %q does not name the kubelet setting", f.Fix)
			}
		})
	}
}
