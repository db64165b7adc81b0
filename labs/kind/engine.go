package kind

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/kind/pkg/cluster"
)

// engineTimeout bounds each question put to a container engine, so that a
// hung daemon fails the check instead of hanging ckat.
const engineTimeout = 15 * time.Second

// Engine is a container engine that answered: its client binary and what
// its daemon reported about the machine the node containers run on.
type Engine struct {
	// Binary is the client: docker, podman, nerdctl, finch or nerdctl.lima.
	Binary string `json:"binary"`
	// ServerVersion is the engine daemon's version.
	ServerVersion string `json:"serverVersion"`
	// MemTotal is the engine host's memory in bytes (0 when not reported).
	MemTotal int64 `json:"memTotal"`
	// CgroupVersion is "1" or "2" ("" when not reported).
	CgroupVersion string `json:"cgroupVersion"`
}

// ErrNoEngine is returned by FindEngine when no container engine answers.
var ErrNoEngine = errors.New("no container engine answers")

// candidates are the engine clients to try, in kind's order of
// preference, or only the one KIND_EXPERIMENTAL_PROVIDER names.
func candidates() []string {
	switch p := os.Getenv("KIND_EXPERIMENTAL_PROVIDER"); p {
	case "docker", "podman", "nerdctl", "finch", "nerdctl.lima":
		return []string{p}
	}
	return []string{"docker", "nerdctl", "podman"}
}

// FindEngine returns the first container engine whose daemon answers
// `info`. A client binary alone is not enough: the error then says which
// clients are installed and how to start their engine.
func FindEngine(ctx context.Context) (Engine, error) {
	var installed []string
	var reasons []string
	for _, bin := range candidates() {
		if _, err := exec.LookPath(bin); err != nil {
			continue
		}
		installed = append(installed, bin)
		e, err := askEngine(ctx, bin)
		if err == nil {
			return e, nil
		}
		reasons = append(reasons, err.Error())
	}
	return Engine{}, noEngineError(installed, reasons)
}

// NoEngineError says which engine clients are installed, why none
// answered, and how to fix it. It matches ErrNoEngine with errors.Is.
type NoEngineError struct {
	// Problem is what is wrong, e.g. "docker is installed but no engine answers".
	Problem string
	// Fix says what to do, e.g. "start the Docker daemon (...)".
	Fix string
	// Details are the engines' own answers.
	Details []string
}

func (e *NoEngineError) Error() string {
	msg := ErrNoEngine.Error() + ": " + e.Problem + ": " + e.Fix
	if len(e.Details) > 0 {
		msg += " (" + strings.Join(e.Details, "; ") + ")"
	}
	return msg
}

// Is makes errors.Is(err, ErrNoEngine) true.
func (e *NoEngineError) Is(target error) bool { return target == ErrNoEngine }

// noEngineError says, in one line, what is missing and how to fix it.
func noEngineError(installed, reasons []string) error {
	if len(installed) == 0 {
		return &NoEngineError{Problem: "no docker, podman or nerdctl found on PATH",
			Fix: "install Docker (https://docs.docker.com/engine/install/) or Podman, or use --provider local"}
	}
	var fix string
	switch installed[0] {
	case "docker":
		fix = "start the Docker daemon (sudo systemctl start docker, or open Docker Desktop)"
	case "podman":
		fix = "start Podman (podman machine start on macOS and Windows; on Linux check 'podman info')"
	default:
		fix = "start containerd and check '" + installed[0] + " info'"
	}
	return &NoEngineError{Problem: strings.Join(installed, " and ") + " is installed but no engine answers", Fix: fix, Details: reasons}
}

// askEngine runs `BIN info` with a timeout and parses what the daemon
// reports.
func askEngine(ctx context.Context, bin string) (Engine, error) {
	ctx, cancel := context.WithTimeout(ctx, engineTimeout)
	defer cancel()
	args := []string{"info", "--format", "{{json .}}"}
	if bin == "podman" {
		args = []string{"info", "--format", "json"}
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return Engine{}, fmt.Errorf("'%s info' did not answer within %s", bin, engineTimeout)
	}
	if err != nil {
		return Engine{}, fmt.Errorf("'%s info': %s", bin, firstLine(stderr.String(), err.Error()))
	}
	e, err := parseEngineInfo(bin, stdout.Bytes())
	if err != nil {
		return Engine{}, fmt.Errorf("'%s info': %w", bin, err)
	}
	return e, nil
}

// parseEngineInfo reads `docker info --format '{{json .}}'` (also
// nerdctl's) or `podman info --format json`.
func parseEngineInfo(bin string, data []byte) (Engine, error) {
	var info struct {
		ServerVersion string `json:"ServerVersion"`
		MemTotal      int64  `json:"MemTotal"`
		CgroupVersion string `json:"CgroupVersion"`
		Host          *struct {
			MemTotal      int64  `json:"memTotal"`
			CgroupVersion string `json:"cgroupVersion"`
		} `json:"host"`
		Version *struct {
			Version string `json:"Version"`
		} `json:"version"`
	}
	if err := json.Unmarshal(data, &info); err != nil {
		return Engine{}, fmt.Errorf("unreadable output: %w", err)
	}
	e := Engine{Binary: bin, ServerVersion: info.ServerVersion, MemTotal: info.MemTotal, CgroupVersion: info.CgroupVersion}
	if info.Host != nil {
		e.MemTotal = info.Host.MemTotal
		e.CgroupVersion = info.Host.CgroupVersion
	}
	if info.Version != nil && e.ServerVersion == "" {
		e.ServerVersion = info.Version.Version
	}
	e.CgroupVersion = strings.TrimPrefix(e.CgroupVersion, "v")
	if e.ServerVersion == "" {
		return Engine{}, errors.New("the daemon reported no server version")
	}
	return e, nil
}

// providerOption is the kind runtime for the engine.
func (e Engine) providerOption() cluster.ProviderOption {
	switch e.Binary {
	case "podman":
		return cluster.ProviderWithPodman()
	case "nerdctl", "finch", "nerdctl.lima":
		return cluster.ProviderWithNerdctl(e.Binary)
	}
	return cluster.ProviderWithDocker()
}

// firstLine returns the first non-empty line of s, else fallback.
func firstLine(s, fallback string) string {
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			return line
		}
	}
	return fallback
}

// GiB formats bytes as gibibytes with one decimal.
func GiB(bytes int64) string {
	return strconv.FormatFloat(float64(bytes)/(1<<30), 'f', 1, 64) + " GiB"
}
