package cri

import (
	"context"
	"encoding/json"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func sandboxState(p *Pod) runtimeapi.PodSandboxState {
	if p.Ready {
		return runtimeapi.PodSandboxState_SANDBOX_READY
	}
	return runtimeapi.PodSandboxState_SANDBOX_NOTREADY
}

func sandboxMetadata(p *Pod) *runtimeapi.PodSandboxMetadata {
	return &runtimeapi.PodSandboxMetadata{Name: p.Pod.Name, Uid: string(p.Pod.UID), Namespace: p.Pod.Namespace}
}

// ListPodSandbox lists the pods the agent runs, filtered as asked.
func (s *server) ListPodSandbox(_ context.Context, req *runtimeapi.ListPodSandboxRequest) (*runtimeapi.ListPodSandboxResponse, error) {
	f := req.GetFilter()
	resp := &runtimeapi.ListPodSandboxResponse{Items: []*runtimeapi.PodSandbox{}}
	pods := s.rt.Pods()
	for i := range pods {
		p := &pods[i]
		sb := &runtimeapi.PodSandbox{
			Id:          p.ID,
			Metadata:    sandboxMetadata(p),
			State:       sandboxState(p),
			CreatedAt:   unixNano(p.CreatedAt),
			Labels:      podLabels(p.Pod),
			Annotations: p.Pod.Annotations,
		}
		switch {
		case f.GetId() != "" && !strings.HasPrefix(sb.Id, f.GetId()),
			f.GetState() != nil && sb.State != f.GetState().GetState(),
			!matchLabels(sb.Labels, f.GetLabelSelector()):
			continue
		}
		resp.Items = append(resp.Items, sb)
	}
	return resp, nil
}

// findPod resolves id, a full ID or a unique prefix of one.
func findPod(pods []Pod, id string) (*Pod, error) {
	var hits []*Pod
	for i := range pods {
		if pods[i].ID == id {
			return &pods[i], nil
		}
		if id != "" && strings.HasPrefix(pods[i].ID, id) {
			hits = append(hits, &pods[i])
		}
	}
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		return nil, status.Errorf(codes.NotFound, "an error occurred when try to find sandbox %q: not found", id)
	default:
		return nil, status.Errorf(codes.InvalidArgument, "an error occurred when try to find sandbox %q: multiple IDs found with provided prefix", id)
	}
}

// PodSandboxStatus is a pod's state, metadata, labels and namespaces:
// every static pod here shares the node's network, PID and IPC
// namespaces, so the pod has no address of its own (hostNetwork).
func (s *server) PodSandboxStatus(_ context.Context, req *runtimeapi.PodSandboxStatusRequest) (*runtimeapi.PodSandboxStatusResponse, error) {
	pods := s.rt.Pods()
	p, err := findPod(pods, req.GetPodSandboxId())
	if err != nil {
		return nil, err
	}
	node := runtimeapi.NamespaceMode_NODE
	st := &runtimeapi.PodSandboxStatus{
		Id:          p.ID,
		Metadata:    sandboxMetadata(p),
		State:       sandboxState(p),
		CreatedAt:   unixNano(p.CreatedAt),
		Network:     &runtimeapi.PodSandboxNetworkStatus{},
		Linux:       &runtimeapi.LinuxPodSandboxStatus{Namespaces: &runtimeapi.Namespace{Options: &runtimeapi.NamespaceOption{Network: node, Pid: node, Ipc: node}}},
		Labels:      podLabels(p.Pod),
		Annotations: p.Pod.Annotations,
	}
	resp := &runtimeapi.PodSandboxStatusResponse{Status: st}
	for i := range p.Containers {
		c := &p.Containers[i]
		resp.ContainersStatuses = append(resp.ContainersStatuses, &runtimeapi.ContainerStatus{
			Id: c.ID, Metadata: &runtimeapi.ContainerMetadata{Name: c.Name, Attempt: uint32(c.Attempt)},
			State: criState(c.State), CreatedAt: unixNano(c.CreatedAt), StartedAt: unixNano(c.StartedAt),
			FinishedAt: unixNano(c.FinishedAt), ExitCode: int32(c.ExitCode), LogPath: c.LogPath,
		})
	}
	if req.GetVerbose() {
		info := map[string]any{"logDirectory": p.LogDirectory, "hostNetwork": p.Pod.Spec.HostNetwork}
		data, _ := json.Marshal(info) // plain values
		resp.Info = map[string]string{"info": string(data)}
	}
	return resp, nil
}
