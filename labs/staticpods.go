package labs

import (
	"context"
	"time"
)

// StaticPodStatus is one static pod as the node's kubelet reports it: what
// a learner sees with `crictl ps -a`, `crictl pods` and `kubectl describe
// pod` (its mirror pod). Times are zero where they do not apply.
type StaticPodStatus struct {
	// Name is the pod's name with the node's as a suffix, as its mirror
	// pod is named (etcd-controlplane).
	Name string
	// Manifest is the node path of the file the pod runs from.
	Manifest string
	// Running says a container of the pod runs now; StartedAt is when it
	// started.
	Running   bool
	StartedAt time.Time
	// Ready is the pod's Ready condition; ReadySince its last transition
	// to true.
	Ready      bool
	ReadySince time.Time
	// Restarts is how many times the kubelet restarted its containers.
	Restarts int
	// Reason and Message say why a container is not running, as the
	// kubelet's waiting state does (CrashLoopBackOff, ...).
	Reason  string
	Message string
	// LastExitCode, LastStartedAt and LastFinishedAt are the previous
	// run's end (Last State: Terminated); the times are zero before any
	// exit.
	LastExitCode   int
	LastStartedAt  time.Time
	LastFinishedAt time.Time
}

// ReasonCrashLoopBackOff is the kubelet's waiting reason for a container
// it restarts after a back-off because it keeps exiting.
const ReasonCrashLoopBackOff = "CrashLoopBackOff"

// StaticPodReporter is a Node that says what its kubelet reports of the
// static pods. A node without it is graded from its files, commands and
// API server alone.
type StaticPodReporter interface {
	// StaticPods lists the node's static pods.
	StaticPods(ctx context.Context) ([]StaticPodStatus, error)
}
