package agent

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/ckat/ckat/internal/testbin"
	"github.com/ckat/ckat/labs/local/kubeadm"
)

// kubeadmControlPlane writes kubeadm's files for a node under n.root and
// the two static pod manifests into n's manifest directory, moved onto
// free ports and with their /etc/kubernetes and /var/lib/etcd hostPaths
// under n.root. It returns an admin client.
func kubeadmControlPlane(t *testing.T, n *testNode) kubernetes.Interface {
	t.Helper()
	require.NoError(t, kubeadm.Generate(n.root, kubeadm.Config{NodeIP: n.cfg.NodeIP, NodeName: n.cfg.NodeName}))
	p := freePorts(t, 4)
	ports := strings.NewReplacer(":2379", fmt.Sprintf(":%d", p[0]), ":2380", fmt.Sprintf(":%d", p[1]),
		"2381", fmt.Sprint(p[2]), "6443", fmt.Sprint(p[3]),
		"path: /etc/kubernetes", "path: "+n.root+"/etc/kubernetes", "path: /var/lib/etcd", "path: "+n.root+"/var/lib/etcd")
	server := fmt.Sprintf("https://%s:%d", n.cfg.NodeIP, p[3])
	for _, name := range []string{"etcd.yaml", "kube-apiserver.yaml"} {
		generated := filepath.Join(n.root, "etc/kubernetes/manifests", name)
		data, err := os.ReadFile(generated)
		require.NoError(t, err)
		require.NoError(t, os.Remove(generated))
		manifest := ports.Replace(string(data))
		// The API server refuses to advertise a loopback address to its
		// endpoint reconciler; a lab's node address is not loopback.
		manifest = strings.Replace(manifest, "    - --secure-port=", "    - --endpoint-reconciler-type=none\n    - --secure-port=", 1)
		n.writeManifest(t, name, manifest)
	}
	kubelet, err := clientcmd.LoadFromFile(filepath.Join(n.root, "etc/kubernetes/kubelet.conf"))
	require.NoError(t, err)
	for _, c := range kubelet.Clusters {
		c.Server = server
	}
	n.cfg.Kubeconfig = filepath.Join(n.root, "kubelet.conf")
	require.NoError(t, clientcmd.WriteToFile(*kubelet, n.cfg.Kubeconfig))

	admin, err := kubeadm.SuperAdminKubeconfig(n.root, server)
	require.NoError(t, err)
	rc, err := clientcmd.RESTConfigFromKubeConfig(admin)
	require.NoError(t, err)
	rc.Timeout = 10 * time.Second
	cs, err := kubernetes.NewForConfig(rc)
	require.NoError(t, err)
	return cs
}

// eventually polls get until check passes, failing with the last reason.
func eventually[T any](t *testing.T, timeout time.Duration, get func() (T, error), check func(T) string) T {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		v, err := get()
		why := ""
		if err != nil {
			why = err.Error()
		} else {
			why = check(v)
		}
		if why == "" {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, why)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func TestMirrorPodsAndNodeWithRealAPIServer(t *testing.T) {
	requireIntegration(t)
	n := newTestNode(t)
	n.cfg.NodeIP = "127.0.0.2" // etcd also listens on 127.0.0.1
	n.cfg.Binaries["kube-apiserver"] = testbin.Path(t, "kube-apiserver")
	admin := kubeadmControlPlane(t, n)
	n.writeManifest(t, "crash.yaml", shellPod("crash", "echo failing; exit 3"))
	n.start(t)
	n.waitReady(t, "etcd.yaml", 0)
	n.waitPod(t, "kube-apiserver.yaml", 120*time.Second, "ready", func(s PodStatus, ok bool) bool { return s.Ready })

	ctx := context.Background()
	pods := admin.CoreV1().Pods("kube-system")
	node := eventually(t, 60*time.Second, func() (*corev1.Node, error) {
		return admin.CoreV1().Nodes().Get(ctx, "controlplane", metav1.GetOptions{})
	}, func(node *corev1.Node) string {
		if !nodeReady(node) {
			return "node not Ready"
		}
		return ""
	})
	require.Contains(t, node.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: "127.0.0.2"})

	for _, name := range []string{"etcd-controlplane", "kube-apiserver-controlplane"} {
		mirror := eventually(t, 60*time.Second, func() (*corev1.Pod, error) {
			return pods.Get(ctx, name, metav1.GetOptions{})
		}, func(p *corev1.Pod) string {
			if len(p.Status.ContainerStatuses) != 1 || !p.Status.ContainerStatuses[0].Ready || p.Status.ContainerStatuses[0].State.Running == nil {
				return fmt.Sprintf("%s not running and ready: %+v", name, p.Status.ContainerStatuses)
			}
			return ""
		})
		require.Equal(t, "file", mirror.Annotations[annotationConfigSource])
		require.Len(t, mirror.Annotations[annotationConfigHash], 32)
		require.Equal(t, mirror.Annotations[annotationConfigHash], mirror.Annotations[annotationConfigMirror])
		require.Equal(t, "controlplane", mirror.Spec.NodeName)
		require.Len(t, mirror.OwnerReferences, 1)
		require.Equal(t, "Node", mirror.OwnerReferences[0].Kind)
		require.Equal(t, node.UID, mirror.OwnerReferences[0].UID)
		require.Equal(t, corev1.PodRunning, mirror.Status.Phase)
		require.Equal(t, int32(0), mirror.Status.ContainerStatuses[0].RestartCount)
		require.Equal(t, "127.0.0.2", mirror.Status.PodIP)
	}
	// The log says the mirror pods are in sync once they are, after the
	// node is registered (the API server refuses them until its
	// system-node-critical PriorityClass exists).
	logs := n.logs.String()
	registered, inSync := strings.Index(logs, "node controlplane registered"), strings.Index(logs, "mirror pods in sync")
	require.True(t, registered >= 0 && inSync > registered, "log:\n%s", logs)

	crash := eventually(t, 60*time.Second, func() (*corev1.Pod, error) {
		return pods.Get(ctx, "crash-controlplane", metav1.GetOptions{})
	}, func(p *corev1.Pod) string {
		if len(p.Status.ContainerStatuses) != 1 || p.Status.ContainerStatuses[0].State.Waiting == nil ||
			p.Status.ContainerStatuses[0].State.Waiting.Reason != reasonCrashLoopBackOff {
			return fmt.Sprintf("crash-controlplane not in CrashLoopBackOff: %+v", p.Status.ContainerStatuses)
		}
		return ""
	})
	cs := crash.Status.ContainerStatuses[0]
	require.GreaterOrEqual(t, cs.RestartCount, int32(2))
	require.NotNil(t, cs.LastTerminationState.Terminated)
	require.Equal(t, int32(3), cs.LastTerminationState.Terminated.ExitCode)

	// An unchanged pod's status is not rewritten every round.
	before, err := pods.Get(ctx, "kube-apiserver-controlplane", metav1.GetOptions{})
	require.NoError(t, err)
	time.Sleep(2*mirrorInterval + time.Second)
	after, err := pods.Get(ctx, "kube-apiserver-controlplane", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, before.ResourceVersion, after.ResourceVersion, "status rewritten without a change: %+v", after.Status)

	// A mirror pod deleted (or lost in an etcd restore) comes back; a
	// removed manifest's mirror pod goes.
	old, err := pods.Get(ctx, "etcd-controlplane", metav1.GetOptions{})
	require.NoError(t, err)
	require.NoError(t, pods.Delete(ctx, "etcd-controlplane", metav1.DeleteOptions{}))
	eventually(t, 30*time.Second, func() (*corev1.Pod, error) {
		return pods.Get(ctx, "etcd-controlplane", metav1.GetOptions{})
	}, func(p *corev1.Pod) string {
		if p.UID == old.UID {
			return "etcd-controlplane not recreated"
		}
		return ""
	})
	require.NoError(t, os.Remove(filepath.Join(n.cfg.ManifestDir, "crash.yaml")))
	eventually(t, 30*time.Second, func() (string, error) {
		_, err := pods.Get(ctx, "crash-controlplane", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return "", nil
		}
		return "crash-controlplane still there", err
	}, func(s string) string { return s })

	// A restarted container's count reaches the mirror pod.
	etcd := n.status(t)["etcd.yaml"]
	require.NoError(t, syscall.Kill(etcd.PID, syscall.SIGKILL))
	eventually(t, 90*time.Second, func() (*corev1.Pod, error) {
		return pods.Get(ctx, "etcd-controlplane", metav1.GetOptions{})
	}, func(p *corev1.Pod) string {
		if len(p.Status.ContainerStatuses) != 1 || p.Status.ContainerStatuses[0].RestartCount != 1 || !p.Status.ContainerStatuses[0].Ready {
			return fmt.Sprintf("etcd-controlplane restart not shown: %+v", p.Status.ContainerStatuses)
		}
		return ""
	})
}
