package node

import (
	"context"
	"fmt"
	"path"
	"time"

	"github.com/ckat/ckat/internal/kubeadm"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/labs/local/agent"
)

var _ labs.StaticPodReporter = (*view)(nil)

// StaticPods reads the status the node's agent keeps of its static pods
// (PodStatusFile), the local node's kubelet. The agent's manifests
// directory is kubeadm's (see startAgent).
func (v *view) StaticPods(ctx context.Context) ([]labs.StaticPodStatus, error) {
	data, err := v.ReadFile(ctx, PodStatusFile)
	if err != nil {
		return nil, fmt.Errorf("reading the static pods' status: %w", err)
	}
	list, err := agent.ParseStatus(data)
	if err != nil {
		return nil, err
	}
	out := make([]labs.StaticPodStatus, len(list))
	for i, p := range list {
		out[i] = labs.StaticPodStatus{
			Name: p.Name, Manifest: path.Join(kubeadm.ManifestsDir, p.Manifest),
			Running: p.PID != 0, StartedAt: timeOf(p.StartedAt),
			Ready: p.Ready, ReadySince: timeOf(p.ReadySince),
			Restarts: p.Restarts, Reason: p.Reason, Message: p.Message,
			LastExitCode: p.LastExitCode, LastStartedAt: timeOf(p.LastStartedAt), LastFinishedAt: timeOf(p.LastFinishedAt),
		}
	}
	return out, nil
}

func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
