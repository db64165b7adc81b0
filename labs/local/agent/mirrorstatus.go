package agent

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ckat/ckat/labs/local/cri"
)

// mirrorStatus is the pod status the kubelet would post for the static
// pod, keeping old's transition times where nothing changed.
func (w *podWorker) mirrorStatus(nodeIP string, old *corev1.PodStatus) corev1.PodStatus {
	cs := w.snapshot()
	st := corev1.PodStatus{
		Phase:    corev1.PodRunning,
		HostIP:   nodeIP,
		PodIP:    nodeIP,
		QOSClass: old.QOSClass,
	}
	if nodeIP != "" {
		st.HostIPs = []corev1.HostIP{{IP: nodeIP}}
		st.PodIPs = []corev1.PodIP{{IP: nodeIP}}
	}
	start := metav1.NewTime(w.startedAt.Truncate(1e9))
	st.StartTime = &start
	allReady, everRan := true, false
	for i, c := range cs {
		spec := w.pod.Spec.Containers[i]
		started := c.Running
		s := corev1.ContainerStatus{
			Name:         c.Name,
			Image:        spec.Image,
			ImageID:      cri.ImageID(spec.Image),
			Ready:        c.Ready,
			RestartCount: int32(c.Restarts),
			Started:      &started,
		}
		switch {
		case c.Running:
			everRan = true
			s.ContainerID = criContainerID(c.run.ID)
			s.State.Running = &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(c.StartedAt.Truncate(1e9))}
		default:
			reason := c.Reason
			if reason == "" || reason == reasonCompleted || reason == reasonError || reason == reasonStartError {
				reason = reasonContainerCreating
			}
			s.State.Waiting = &corev1.ContainerStateWaiting{Reason: reason, Message: c.Message}
		}
		if c.Last != nil {
			if c.Last.Reason != reasonStartError {
				everRan = true
			}
			s.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{
				ContainerID: criContainerID(c.Last.run.ID),
				ExitCode:    int32(c.Last.ExitCode),
				Reason:      c.Last.Reason,
				StartedAt:   metav1.NewTime(c.Last.StartedAt.Truncate(1e9)),
				FinishedAt:  metav1.NewTime(c.Last.FinishedAt.Truncate(1e9)),
			}
		}
		if !c.Ready {
			allReady = false
		}
		st.ContainerStatuses = append(st.ContainerStatuses, s)
	}
	if !everRan {
		st.Phase = corev1.PodPending
	}
	cond := func(t corev1.PodConditionType, ok bool, reason string) corev1.PodCondition {
		c := corev1.PodCondition{Type: t, Status: corev1.ConditionFalse, Reason: reason}
		if ok {
			c.Status, c.Reason = corev1.ConditionTrue, ""
		}
		c.LastTransitionTime = metav1.NewTime(w.startedAt.Truncate(1e9))
		for _, o := range old.Conditions {
			if o.Type == t && o.Status == c.Status {
				c.LastTransitionTime = o.LastTransitionTime
			}
		}
		return c
	}
	st.Conditions = []corev1.PodCondition{
		cond(corev1.PodReadyToStartContainers, true, ""),
		cond(corev1.PodInitialized, true, ""),
		cond(corev1.PodReady, allReady, "ContainersNotReady"),
		cond(corev1.ContainersReady, allReady, "ContainersNotReady"),
		cond(corev1.PodScheduled, true, ""),
	}
	return st
}

// criContainerID is a container's ID in the Pod API, RUNTIME://ID, as the
// kubelet makes it (kubecontainer.ContainerID.String).
func criContainerID(id string) string {
	if id == "" {
		return ""
	}
	return cri.RuntimeName + "://" + id
}

// statusEqual says whether posting a would change nothing.
func statusEqual(a, b corev1.PodStatus) bool {
	return equality.Semantic.DeepEqual(a, b)
}

// nodeCapacity is the machine's CPUs and memory, and the kubelet's
// default pod limit.
func nodeCapacity() (capacity, allocatable corev1.ResourceList) {
	var si unix.Sysinfo_t
	mem := int64(0)
	if unix.Sysinfo(&si) == nil {
		mem = int64(si.Totalram) * int64(si.Unit)
	}
	capacity = corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewQuantity(int64(runtime.NumCPU()), resource.DecimalSI),
		corev1.ResourceMemory: *resource.NewQuantity(mem, resource.BinarySI),
		corev1.ResourcePods:   *resource.NewQuantity(110, resource.DecimalSI),
	}
	return capacity, capacity.DeepCopy()
}

// osImage is the node's PRETTY_NAME from /etc/os-release, as the kubelet
// reports it.
func osImage() string {
	f, err := os.Open("/etc/os-release")
	if err != nil {
		return "Linux"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "PRETTY_NAME="); ok {
			if u, err := strconv.Unquote(v); err == nil {
				return u
			}
			return v
		}
	}
	return "Linux"
}

// kernelVersion is the running kernel's release.
func kernelVersion() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}
