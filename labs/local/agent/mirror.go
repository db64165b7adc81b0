package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/ckat/ckat/labs/local/cri"
)

// How often the agent reconciles mirror pods and renews the Node's
// heartbeat, and how long one API request may take.
const (
	mirrorInterval = 5 * time.Second
	// firstSyncInterval is the pause between rounds until one has put
	// every mirror pod in place, for at most firstSyncPeriod after the
	// agent starts: the API server comes up while the agent waits, and
	// `ckat lab create` waits for the mirror pods.
	firstSyncInterval = 100 * time.Millisecond
	firstSyncPeriod   = time.Minute
	heartbeatInterval = 10 * time.Second
	apiTimeout        = 5 * time.Second
)

// syncAPI keeps the Node object and one mirror pod per static pod in the
// API server, from the first time it answers until ctx is cancelled. An
// unreachable API server (not yet up, restarting, its manifest moved out)
// is logged once per outage.
func (a *agent) syncAPI(ctx context.Context) {
	if a.cfg.Kubeconfig == "" {
		<-ctx.Done()
		return
	}
	s := &apiSync{a: a}
	start := time.Now()
	for {
		s.sync(ctx)
		interval := mirrorInterval
		if !s.synced && time.Since(start) < firstSyncPeriod {
			interval = firstSyncInterval
		}
		sleep(ctx, interval)
		if ctx.Err() != nil {
			return
		}
	}
}

// apiSync is the state of the agent's API client between rounds.
type apiSync struct {
	a             *agent
	client        kubernetes.Interface
	node          *corev1.Node
	lastHeartbeat time.Time
	down          bool // the last round could not reach the API server
	reached       bool // some round reached it
	// mirrorFailingSince is when the rounds' mirror pods started failing
	// (zero while they succeed).
	mirrorFailingSince time.Time
	// synced: some round put every mirror pod in place.
	synced bool
}

func (s *apiSync) sync(ctx context.Context) {
	err := s.round(ctx)
	switch {
	case err == nil && !s.reached:
		s.reached, s.down = true, false
		s.a.log.V(0).Infof("API server reachable: node %s registered", s.a.cfg.NodeName)
	case err == nil && s.down:
		s.down = false
		s.a.log.V(0).Infof("API server reachable again: node %s registered", s.a.cfg.NodeName)
	case err != nil && !s.down && ctx.Err() == nil:
		s.down = true
		s.a.log.V(1).Infof("API server not reachable, mirror pods wait: %v", err)
	}
}

func (s *apiSync) round(ctx context.Context) error {
	if s.client == nil {
		if _, err := os.Stat(s.a.cfg.Kubeconfig); err != nil {
			return err
		}
		cfg, err := clientcmd.BuildConfigFromFlags("", s.a.cfg.Kubeconfig)
		if err != nil {
			return fmt.Errorf("kubeconfig %s: %w", s.a.cfg.Kubeconfig, err)
		}
		cfg.Timeout = apiTimeout
		cfg.QPS, cfg.Burst = s.a.cfg.apiRateLimit()
		cfg.UserAgent = "ckat-agent/" + s.a.cfg.NodeName
		if s.client, err = kubernetes.NewForConfig(cfg); err != nil {
			return err
		}
	}
	if err := s.syncNode(ctx); err != nil {
		return fmt.Errorf("node %s: %w", s.a.cfg.NodeName, err)
	}
	// Failures for a few seconds are often the API server still
	// bootstrapping (its PriorityClasses, kube-system); ones that persist
	// for mirrorInterval are logged.
	err := s.syncMirrors(ctx)
	switch {
	case err == nil:
		if !s.synced {
			s.a.log.V(0).Infof("mirror pods in sync")
		}
		s.mirrorFailingSince = time.Time{}
		s.synced = true
		s.a.forget("mirror-pods")
	case ctx.Err() == nil:
		if s.mirrorFailingSince.IsZero() {
			s.mirrorFailingSince = time.Now()
		}
		if time.Since(s.mirrorFailingSince) >= mirrorInterval {
			s.a.logOnce("mirror-pods", "%v", err)
		}
	}
	return nil
}

// syncNode creates the Node if it is missing and renews its Ready
// condition every heartbeatInterval.
func (s *apiSync) syncNode(ctx context.Context) error {
	nodes := s.client.CoreV1().Nodes()
	node, err := nodes.Get(ctx, s.a.cfg.NodeName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		node, err = nodes.Create(ctx, s.newNode(), metav1.CreateOptions{})
		s.lastHeartbeat = time.Time{}
	}
	if err != nil {
		return err
	}
	if time.Since(s.lastHeartbeat) >= heartbeatInterval || !nodeReady(node) {
		now := metav1.Now()
		node.Status = s.nodeStatus(node.Status, now)
		if node, err = nodes.UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
			return err
		}
		s.lastHeartbeat = now.Time
	}
	s.node = node
	return nil
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// newNode is the Node the kubelet registers, with the labels a node may
// set on itself.
func (s *apiSync) newNode() *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{
		Name: s.a.cfg.NodeName,
		Labels: map[string]string{
			"kubernetes.io/hostname":  s.a.cfg.NodeName,
			"kubernetes.io/os":        runtime.GOOS,
			"kubernetes.io/arch":      runtime.GOARCH,
			"beta.kubernetes.io/os":   runtime.GOOS,
			"beta.kubernetes.io/arch": runtime.GOARCH,
		},
		Annotations: map[string]string{"volumes.kubernetes.io/controller-managed-attach-detach": "true"},
	}}
}

// nodeStatus is the node's status with a fresh heartbeat.
func (s *apiSync) nodeStatus(old corev1.NodeStatus, now metav1.Time) corev1.NodeStatus {
	st := old
	cond := func(t corev1.NodeConditionType, status corev1.ConditionStatus, reason, msg string) corev1.NodeCondition {
		c := corev1.NodeCondition{Type: t, Status: status, Reason: reason, Message: msg, LastHeartbeatTime: now, LastTransitionTime: now}
		for _, o := range old.Conditions {
			if o.Type == t && o.Status == status {
				c.LastTransitionTime = o.LastTransitionTime
			}
		}
		return c
	}
	st.Conditions = []corev1.NodeCondition{
		cond(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
		cond(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
		cond(corev1.NodePIDPressure, corev1.ConditionFalse, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
		cond(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady", "kubelet is posting ready status"),
	}
	st.Addresses = []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: s.a.cfg.NodeName}}
	if s.a.cfg.NodeIP != "" {
		st.Addresses = append([]corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: s.a.cfg.NodeIP}}, st.Addresses...)
	}
	st.Capacity, st.Allocatable = nodeCapacity()
	st.NodeInfo.OperatingSystem = runtime.GOOS
	st.NodeInfo.OSImage = osImage()
	st.NodeInfo.KernelVersion = kernelVersion()
	st.NodeInfo.Architecture = runtime.GOARCH
	st.NodeInfo.KubeletVersion = KubeletVersion
	st.NodeInfo.ContainerRuntimeVersion = cri.RuntimeName + "://" + runtimeVersion
	st.DaemonEndpoints.KubeletEndpoint.Port = 10250
	return st
}

// KubeletVersion is the version the Node reports for its kubelet.
var KubeletVersion = "v1.37.2"

// syncMirrors makes the mirror pods match the running static pods: create
// what is missing, recreate what has another config hash, update the
// status, and delete mirror pods of static pods that are gone. The pods
// are listed by node (the only read the Node authorizer allows a node for
// pods that may not exist); a LIST without a resourceVersion is a
// consistent read.
func (s *apiSync) syncMirrors(ctx context.Context) error {
	s.a.mu.Lock()
	workers := make([]*podWorker, 0, len(s.a.pods))
	for _, w := range s.a.pods {
		workers = append(workers, w)
	}
	s.a.mu.Unlock()
	list, err := s.client.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + s.a.cfg.NodeName})
	if err != nil {
		return fmt.Errorf("listing the node's pods: %w", err)
	}
	existing := map[string]*corev1.Pod{}
	for i := range list.Items {
		p := &list.Items[i]
		existing[p.Namespace+"/"+p.Name] = p
	}
	var errs []error
	for _, w := range workers {
		key := w.pod.Namespace + "/" + w.pod.Name
		if err := s.syncMirror(ctx, w, existing[key]); err != nil {
			errs = append(errs, fmt.Errorf("mirror pod %s: %w", key, err))
		}
		delete(existing, key)
	}
	for _, p := range existing {
		if _, mirror := p.Annotations[annotationConfigMirror]; mirror {
			if err := s.deletePod(ctx, p); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// syncMirror brings one static pod's mirror pod (cur, nil if missing) in
// line.
func (s *apiSync) syncMirror(ctx context.Context, w *podWorker, cur *corev1.Pod) error {
	pods := s.client.CoreV1().Pods(w.pod.Namespace)
	hash := w.pod.Annotations[annotationConfigHash]
	if cur != nil && (cur.Annotations[annotationConfigMirror] != hash || cur.DeletionTimestamp != nil) {
		if err := s.deletePod(ctx, cur); err != nil {
			return err
		}
		cur = nil
	}
	if cur == nil {
		var err error
		if cur, err = pods.Create(ctx, s.mirrorPod(w.pod, hash), metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	status := w.mirrorStatus(s.a.cfg.NodeIP, &cur.Status)
	if statusEqual(status, cur.Status) {
		return nil
	}
	cur.Status = status
	_, err := pods.UpdateStatus(ctx, cur, metav1.UpdateOptions{})
	return err
}

// mirrorPod is the API object standing for a static pod.
func (s *apiSync) mirrorPod(static *corev1.Pod, hash string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: *static.ObjectMeta.DeepCopy(), Spec: *static.Spec.DeepCopy()}
	p.UID, p.ResourceVersion = "", ""
	p.Annotations[annotationConfigMirror] = hash
	p.Annotations[annotationConfigSeen] = time.Now().UTC().Format(time.RFC3339Nano)
	controller := true
	p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: s.node.Name, UID: s.node.UID, Controller: &controller}}
	return p
}

func (s *apiSync) deletePod(ctx context.Context, p *corev1.Pod) error {
	zero := int64(0)
	uid := types.UID(p.UID)
	err := s.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{
		GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &uid}})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("deleting mirror pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	return nil
}
