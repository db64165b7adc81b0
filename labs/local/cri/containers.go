package cri

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// The labels and annotations the kubelet puts on sandboxes and containers
// (k8s.io/kubelet/pkg/types and pkg/kubelet/kuberuntime/labels.go).
const (
	podNameLabel                     = "io.kubernetes.pod.name"
	podNamespaceLabel                = "io.kubernetes.pod.namespace"
	podUIDLabel                      = "io.kubernetes.pod.uid"
	containerNameLabel               = "io.kubernetes.container.name"
	restartCountAnnotation           = "io.kubernetes.container.restartCount"
	terminationMessagePathAnnotation = "io.kubernetes.container.terminationMessagePath"
	terminationPolicyAnnotation      = "io.kubernetes.container.terminationMessagePolicy"
	terminationGraceAnnotation       = "io.kubernetes.pod.terminationGracePeriod"
)

// podLabels are a sandbox's labels, as the kubelet's newPodLabels makes
// them: the pod's own and its name, namespace and UID.
func podLabels(p *corev1.Pod) map[string]string {
	l := map[string]string{}
	for k, v := range p.Labels {
		l[k] = v
	}
	l[podNameLabel], l[podNamespaceLabel], l[podUIDLabel] = p.Name, p.Namespace, string(p.UID)
	return l
}

// containerLabels are as the kubelet's newContainerLabels makes them.
func containerLabels(p *corev1.Pod, name string) map[string]string {
	return map[string]string{podNameLabel: p.Name, podNamespaceLabel: p.Namespace, podUIDLabel: string(p.UID), containerNameLabel: name}
}

// containerAnnotations are those of the kubelet's newContainerAnnotations
// that ckat knows (not the container's hash).
func containerAnnotations(p *corev1.Pod, c Container) map[string]string {
	a := map[string]string{restartCountAnnotation: strconv.Itoa(c.Attempt)}
	if spec := specOf(p, c.Name); spec != nil {
		a[terminationMessagePathAnnotation] = spec.TerminationMessagePath
		a[terminationPolicyAnnotation] = string(spec.TerminationMessagePolicy)
	}
	if g := p.Spec.TerminationGracePeriodSeconds; g != nil {
		a[terminationGraceAnnotation] = strconv.FormatInt(*g, 10)
	}
	return a
}

func specOf(p *corev1.Pod, name string) *corev1.Container {
	for i := range p.Spec.Containers {
		if p.Spec.Containers[i].Name == name {
			return &p.Spec.Containers[i]
		}
	}
	return nil
}

func imageOf(p *corev1.Pod, name string) string {
	if spec := specOf(p, name); spec != nil {
		return spec.Image
	}
	return ""
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func criState(st State) runtimeapi.ContainerState {
	if st == Running {
		return runtimeapi.ContainerState_CONTAINER_RUNNING
	}
	return runtimeapi.ContainerState_CONTAINER_EXITED
}

// matchLabels says whether labels has every pair of selector.
func matchLabels(labels, selector map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// found is a container with its pod.
type found struct {
	pod *Pod
	c   *Container
}

// findContainer resolves id, a full ID or a unique prefix of one, as
// containerd does.
func findContainer(pods []Pod, id string) (found, error) {
	var hits []found
	for i := range pods {
		for j := range pods[i].Containers {
			c := &pods[i].Containers[j]
			if c.ID == id {
				return found{&pods[i], c}, nil
			}
			if id != "" && strings.HasPrefix(c.ID, id) {
				hits = append(hits, found{&pods[i], c})
			}
		}
	}
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		return found{}, status.Errorf(codes.NotFound, "an error occurred when try to find container %q: not found", id)
	default:
		return found{}, status.Errorf(codes.InvalidArgument, "an error occurred when try to find container %q: multiple IDs found with provided prefix", id)
	}
}

func toContainer(p *Pod, c *Container) *runtimeapi.Container {
	id := ImageID(imageOf(p.Pod, c.Name))
	return &runtimeapi.Container{
		Id:           c.ID,
		PodSandboxId: p.ID,
		Metadata:     &runtimeapi.ContainerMetadata{Name: c.Name, Attempt: uint32(c.Attempt)},
		// The kubelet creates a container with the image's ID, and
		// crictl ps shows it (containerd's toCRIContainer).
		Image:       &runtimeapi.ImageSpec{Image: id, UserSpecifiedImage: imageOf(p.Pod, c.Name)},
		ImageRef:    id,
		ImageId:     id,
		State:       criState(c.State),
		CreatedAt:   unixNano(c.CreatedAt),
		Labels:      containerLabels(p.Pod, c.Name),
		Annotations: containerAnnotations(p.Pod, *c),
	}
}

// ListContainers lists the running containers and the exited ones the
// kubelet keeps (the last run of each), filtered as asked.
func (s *server) ListContainers(_ context.Context, req *runtimeapi.ListContainersRequest) (*runtimeapi.ListContainersResponse, error) {
	f := req.GetFilter()
	resp := &runtimeapi.ListContainersResponse{Containers: []*runtimeapi.Container{}}
	pods := s.rt.Pods()
	for i := range pods {
		p := &pods[i]
		if f.GetPodSandboxId() != "" && !strings.HasPrefix(p.ID, f.GetPodSandboxId()) {
			continue
		}
		for j := range p.Containers {
			c := toContainer(p, &p.Containers[j])
			switch {
			case f.GetId() != "" && !strings.HasPrefix(c.Id, f.GetId()),
				f.GetState() != nil && c.State != f.GetState().GetState(),
				!matchLabels(c.Labels, f.GetLabelSelector()):
				continue
			}
			resp.Containers = append(resp.Containers, c)
		}
	}
	return resp, nil
}

// ContainerStatus is a container's state, exit code, times, image, mounts
// and log path (which crictl logs reads); verbose adds its process.
func (s *server) ContainerStatus(_ context.Context, req *runtimeapi.ContainerStatusRequest) (*runtimeapi.ContainerStatusResponse, error) {
	hit, err := findContainer(s.rt.Pods(), req.GetContainerId())
	if err != nil {
		return nil, err
	}
	p, c := hit.pod, hit.c
	image := imageOf(p.Pod, c.Name)
	st := &runtimeapi.ContainerStatus{
		Id:          c.ID,
		Metadata:    &runtimeapi.ContainerMetadata{Name: c.Name, Attempt: uint32(c.Attempt)},
		State:       criState(c.State),
		CreatedAt:   unixNano(c.CreatedAt),
		StartedAt:   unixNano(c.StartedAt),
		FinishedAt:  unixNano(c.FinishedAt),
		ExitCode:    int32(c.ExitCode),
		Image:       &runtimeapi.ImageSpec{Image: NormalizeImage(image), UserSpecifiedImage: image},
		ImageRef:    ImageID(image),
		ImageId:     ImageID(image),
		Reason:      c.Reason,
		Message:     c.Message,
		Labels:      containerLabels(p.Pod, c.Name),
		Annotations: containerAnnotations(p.Pod, *c),
		LogPath:     c.LogPath,
	}
	for _, m := range c.Mounts {
		st.Mounts = append(st.Mounts, &runtimeapi.Mount{ContainerPath: m.ContainerPath, HostPath: m.HostPath, Readonly: m.ReadOnly})
	}
	resp := &runtimeapi.ContainerStatusResponse{Status: st}
	if req.GetVerbose() {
		info := map[string]any{"sandboxID": p.ID, "pid": c.PID}
		if spec := specOf(p.Pod, c.Name); spec != nil {
			info["command"] = spec.Command
			info["args"] = spec.Args
		}
		data, _ := json.Marshal(info) // plain values
		resp.Info = map[string]string{"info": string(data)}
	}
	return resp, nil
}

// StopContainer stops the process; the kubelet starts the container
// again under a new ID.
func (s *server) StopContainer(_ context.Context, req *runtimeapi.StopContainerRequest) (*runtimeapi.StopContainerResponse, error) {
	hit, err := findContainer(s.rt.Pods(), req.GetContainerId())
	if err != nil {
		return nil, err
	}
	if err := s.rt.StopContainer(hit.c.ID, time.Duration(req.GetTimeout())*time.Second); err != nil {
		return nil, status.Errorf(codes.Unknown, "failed to stop container %q: %v", hit.c.ID, err)
	}
	return &runtimeapi.StopContainerResponse{}, nil
}

// RemoveContainer stops a running container, as containerd does, and
// forgets it.
func (s *server) RemoveContainer(_ context.Context, req *runtimeapi.RemoveContainerRequest) (*runtimeapi.RemoveContainerResponse, error) {
	hit, err := findContainer(s.rt.Pods(), req.GetContainerId())
	if err != nil {
		if status.Code(err) == codes.NotFound {
			return &runtimeapi.RemoveContainerResponse{}, nil // removing what is gone succeeds, as in containerd
		}
		return nil, err
	}
	if err := s.rt.RemoveContainer(hit.c.ID); err != nil {
		return nil, status.Errorf(codes.Unknown, "failed to remove container %q: %v", hit.c.ID, err)
	}
	return &runtimeapi.RemoveContainerResponse{}, nil
}
