package kind

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"

	"sigs.k8s.io/kind/pkg/apis/config/defaults"

	"github.com/ckat/ckat/labs"
)

// recommendedMemory is the free memory a kind lab needs to run well.
const recommendedMemory = 4 << 30

// DefaultNodeImage is the node image kind uses when a config names none.
const DefaultNodeImage = defaults.Image

// Preflight checks what a kind lab needs on this machine: a container
// engine that answers, memory, cgroup v2 for Kubernetes 1.35 and later,
// and the default node image. When no engine answers, the other checks
// are not run.
func (p *Provider) Preflight(ctx context.Context) []labs.Finding {
	p.logger.V(1).Infof("asking the container engines (each has %s to answer)", engineTimeout)
	return findings(ctx, DefaultNodeImage)
}

// findings runs the preflight checks for a lab of image (empty means
// DefaultNodeImage).
func findings(ctx context.Context, image string) []labs.Finding {
	if image == "" {
		image = DefaultNodeImage
	}
	e, err := FindEngine(ctx)
	if err != nil {
		f := labs.Finding{Check: "container engine", Status: labs.FindingProblem, Message: err.Error(),
			Fix: "start or install a container engine; kind runs each node as a container"}
		var ne *NoEngineError
		if errors.As(err, &ne) {
			f.Message = ne.Problem
			if len(ne.Details) > 0 {
				f.Message += " (" + strings.Join(ne.Details, "; ") + ")"
			}
			f.Fix = ne.Fix
		}
		return []labs.Finding{f}
	}
	out := []labs.Finding{{Check: "container engine", Status: labs.FindingOK,
		Message: fmt.Sprintf("%s answers (server %s)", e.Binary, e.ServerVersion)}}
	out = append(out, memoryFinding(e.MemTotal, labs.MemAvailable()))
	out = append(out, cgroupFinding(e.CgroupVersion, image))
	out = append(out, imageFinding(ctx, e.Binary, image))
	return out
}

// memoryFinding judges the engine host's total memory and this machine's
// available memory (0 means unknown).
func memoryFinding(engineTotal, localAvailable int64) labs.Finding {
	f := labs.Finding{Check: "memory", Status: labs.FindingOK}
	switch {
	case engineTotal > 0 && engineTotal < recommendedMemory:
		f.Status = labs.FindingWarning
		f.Message = fmt.Sprintf("the container engine has %s in all; a kind lab wants at least %s free", GiB(engineTotal), GiB(recommendedMemory))
		f.Fix = "give the engine more memory (Docker Desktop: Settings > Resources; podman machine set --memory 4096)"
	case localAvailable > 0 && localAvailable < recommendedMemory:
		f.Status = labs.FindingWarning
		f.Message = fmt.Sprintf("%s available; a kind lab wants at least %s free", GiB(localAvailable), GiB(recommendedMemory))
		f.Fix = "close other programs or delete labs you no longer use"
	case localAvailable > 0:
		f.Message = GiB(localAvailable) + " available"
	case engineTotal > 0:
		f.Message = GiB(engineTotal) + " on the engine's host"
	default:
		f.Status = labs.FindingWarning
		f.Message = "could not measure memory; a kind lab wants at least " + GiB(recommendedMemory) + " free"
		f.Fix = "check the engine's memory with 'docker info' (Total Memory)"
	}
	return f
}

var imageVersionRE = regexp.MustCompile(`:v1\.(\d+)\.\d+`)

// imageMinor is the Kubernetes minor version a node image's tag names, or
// 0 when the tag says none.
func imageMinor(image string) int {
	m := imageVersionRE.FindStringSubmatch(image)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// cgroupFinding judges the engine host's cgroup version for the node
// image's Kubernetes version: from 1.35 the kubelet refuses cgroup v1
// unless its failCgroupV1 setting is false.
func cgroupFinding(version, image string) labs.Finding {
	f := labs.Finding{Check: "cgroup v2", Status: labs.FindingOK}
	minor := imageMinor(image)
	switch {
	case version == "2":
		f.Message = "the engine's host uses cgroup v2"
	case version == "1" && (minor == 0 || minor >= 35):
		f.Status = labs.FindingProblem
		f.Message = fmt.Sprintf("the engine's host uses cgroup v1, which the kubelet of %s (Kubernetes 1.35 and later) refuses", image)
		f.Fix = "boot the host with cgroup v2 (systemd.unified_cgroup_hierarchy=1), or use a node image of Kubernetes 1.34 or older, or set failCgroupV1: false in a KubeletConfiguration patch of your kind config"
	case version == "1":
		f.Message = fmt.Sprintf("the engine's host uses cgroup v1, still accepted by Kubernetes 1.%d", minor)
	default:
		f.Status = labs.FindingWarning
		f.Message = "the engine did not say which cgroup version its host uses; Kubernetes 1.35 and later need cgroup v2"
		f.Fix = "check with 'stat -fc %T /sys/fs/cgroup' on the engine's host: cgroup2fs means v2"
	}
	return f
}

// imageFinding checks that the node image is present, or that the
// registry answers for it so that create can pull it.
func imageFinding(ctx context.Context, bin, image string) labs.Finding {
	f := labs.Finding{Check: "node image", Status: labs.FindingOK}
	ctx, cancel := context.WithTimeout(ctx, engineTimeout)
	defer cancel()
	if exec.CommandContext(ctx, bin, "image", "inspect", image).Run() == nil {
		f.Message = image + " is present"
		return f
	}
	out, err := exec.CommandContext(ctx, bin, "manifest", "inspect", image).CombinedOutput()
	if err == nil {
		f.Message = image + " is not present yet; the registry has it, so creating a lab pulls it"
		return f
	}
	f.Status = labs.FindingProblem
	f.Message = fmt.Sprintf("%s is not present and the registry did not answer for it: %s", image, firstLine(string(out), err.Error()))
	f.Fix = fmt.Sprintf("pull it where the network allows ('%s pull %s'), or load a saved copy ('%s load -i FILE')", bin, image, bin)
	return f
}
