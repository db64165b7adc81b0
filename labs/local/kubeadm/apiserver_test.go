package kubeadm

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ckat/ckat/internal/testbin"

	"github.com/stretchr/testify/require"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// startAPIServer runs the real kube-apiserver with the command of the
// generated kube-apiserver.yaml, its /etc/kubernetes paths under root, on
// 127.0.0.1 with an embedded etcd serving the generated etcd certificates.
// It returns the server's URL once /readyz answers.
func startAPIServer(t *testing.T, root string) string {
	t.Helper()
	exe := testbin.Path(t, "kube-apiserver")
	etcdURL := startEtcd(t, root)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())

	pod := readPod(t, root, "kube-apiserver.yaml")
	var args []string
	for _, arg := range pod.Spec.Containers[0].Command[1:] {
		name, value, _ := strings.Cut(arg, "=")
		switch name {
		case "--etcd-servers":
			value = etcdURL
		case "--secure-port":
			value = strconv.Itoa(port)
		}
		if strings.HasPrefix(value, "/etc/kubernetes/") {
			value = filepath.Join(root, value)
		}
		args = append(args, name+"="+value)
	}
	// The node's address exists only inside a lab's network namespace; the
	// API server advertises it without binding it.
	args = append(args, "--bind-address=127.0.0.1")

	logPath := filepath.Join(t.TempDir(), "kube-apiserver.log")
	logFile, err := os.Create(logPath)
	require.NoError(t, err)
	defer logFile.Close()
	cmd := exec.Command(exe, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})

	server := "https://127.0.0.1:" + strconv.Itoa(port)
	cfg := restConfig(t, root, SuperAdminKubeconfig, server)
	client, err := rest.HTTPClientFor(cfg)
	require.NoError(t, err)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case <-exited:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("kube-apiserver exited: %v\n%s", waitErr, tail(log, 3000))
		default:
		}
		resp, err := client.Get(server + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return server
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("kube-apiserver not ready after 2m (last: %v)\n%s", err, tail(log, 3000))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

func restConfig(t *testing.T, root string, kubeconfig func(string, string) ([]byte, error), server string) *rest.Config {
	t.Helper()
	data, err := kubeconfig(root, server)
	require.NoError(t, err)
	cfg, err := clientcmd.RESTConfigFromKubeConfig(data)
	require.NoError(t, err)
	cfg.Timeout = 15 * time.Second
	return cfg
}

// kubeletKubeconfig is kubelet.conf with the server replaced.
func kubeletKubeconfig(root, server string) ([]byte, error) {
	return rewriteServer(filepath.Join(root, "etc/kubernetes/kubelet.conf"), server)
}

// componentKubeconfig reads the kubeconfig file name as AdminKubeconfig
// reads admin.conf.
func componentKubeconfig(name string) func(root, server string) ([]byte, error) {
	return func(root, server string) ([]byte, error) {
		return rewriteServer(filepath.Join(root, "etc/kubernetes", name), server)
	}
}

func whoAmI(t *testing.T, cfg *rest.Config) authenticationv1.UserInfo {
	t.Helper()
	review, err := kubernetes.NewForConfigOrDie(cfg).AuthenticationV1().SelfSubjectReviews().
		Create(context.Background(), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	require.NoError(t, err)
	return review.Status.UserInfo
}

func TestGeneratedClusterServesWithRealAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and kube-apiserver")
	}
	root := generate(t)
	server := startAPIServer(t, root)
	ctx := context.Background()
	superAdmin := restConfig(t, root, SuperAdminKubeconfig, server)
	admin := restConfig(t, root, AdminKubeconfig, server)
	kubelet := restConfig(t, root, kubeletKubeconfig, server)
	controllerManager := restConfig(t, root, componentKubeconfig("controller-manager.conf"), server)
	scheduler := restConfig(t, root, componentKubeconfig("scheduler.conf"), server)

	t.Run("identities", func(t *testing.T) {
		for _, tc := range []struct {
			cfg   *rest.Config
			user  string
			group string
		}{
			{superAdmin, "kubernetes-super-admin", "system:masters"},
			{admin, "kubernetes-admin", "kubeadm:cluster-admins"},
			{kubelet, "system:node:controlplane", "system:nodes"},
			{controllerManager, "system:kube-controller-manager", "system:authenticated"},
			{scheduler, "system:kube-scheduler", "system:authenticated"},
		} {
			got := whoAmI(t, tc.cfg)
			require.Equal(t, tc.user, got.Username)
			require.Contains(t, got.Groups, tc.group)
		}
	})

	t.Run("admin.conf works only after Bootstrap", func(t *testing.T) {
		adminClient := kubernetes.NewForConfigOrDie(admin)
		_, err := adminClient.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
		require.True(t, apierrors.IsForbidden(err), "before Bootstrap admin.conf is forbidden, got %v", err)

		// The node registers itself, as the agent does.
		_, err = kubernetes.NewForConfigOrDie(kubelet).CoreV1().Nodes().Create(ctx, &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: "controlplane", Labels: map[string]string{"kubernetes.io/hostname": "controlplane"}},
		}, metav1.CreateOptions{})
		require.NoError(t, err)
		require.NoError(t, Bootstrap(ctx, superAdmin, "controlplane"))
		require.NoError(t, Bootstrap(ctx, superAdmin, "controlplane"), "Bootstrap is idempotent")
		node, err := kubernetes.NewForConfigOrDie(superAdmin).CoreV1().Nodes().Get(ctx, "controlplane", metav1.GetOptions{})
		require.NoError(t, err)
		require.Equal(t, map[string]string{
			"kubernetes.io/hostname":                                  "controlplane",
			"node-role.kubernetes.io/control-plane":                   "",
			"node.kubernetes.io/exclude-from-external-load-balancers": "",
		}, node.Labels)
		// The API server's TaintNodesByCondition admission plugin gives a
		// new Node the not-ready taint (plugin/pkg/admission/nodetaint);
		// Bootstrap keeps it and adds kubeadm's taint once.
		require.Equal(t, []corev1.Taint{
			{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule},
			{Key: "node.kubernetes.io/not-ready", Effect: corev1.TaintEffectNoSchedule},
		}, node.Spec.Taints, "kubeadm's taint once, however often Bootstrap runs, and the node's own kept")
		require.Eventually(t, func() bool {
			_, err := adminClient.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
			return err == nil
		}, 30*time.Second, 200*time.Millisecond, "admin.conf lists namespaces after Bootstrap")
		require.NoError(t, Bootstrap(ctx, admin, "controlplane"), "admin may run Bootstrap again")
	})

	t.Run("service-account tokens are signed with sa.key", func(t *testing.T) {
		c := kubernetes.NewForConfigOrDie(superAdmin)
		_, err := c.CoreV1().ServiceAccounts("default").Create(ctx,
			&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "probe"}}, metav1.CreateOptions{})
		require.NoError(t, err)
		tok, err := c.CoreV1().ServiceAccounts("default").CreateToken(ctx, "probe",
			&authenticationv1.TokenRequest{}, metav1.CreateOptions{})
		require.NoError(t, err)
		sa := rest.AnonymousClientConfig(superAdmin)
		sa.BearerToken = tok.Status.Token
		require.Equal(t, "system:serviceaccount:default:probe", whoAmI(t, sa).Username)
	})

	t.Run("front-proxy-client authenticates proxied users", func(t *testing.T) {
		proxy := rest.AnonymousClientConfig(superAdmin)
		proxy.CertFile = filepath.Join(root, "etc/kubernetes/pki/front-proxy-client.crt")
		proxy.KeyFile = filepath.Join(root, "etc/kubernetes/pki/front-proxy-client.key")
		proxy.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
			return roundTripperFunc(func(r *http.Request) (*http.Response, error) {
				r = r.Clone(r.Context())
				r.Header.Set("X-Remote-User", "alice")
				r.Header.Set("X-Remote-Group", "proxied")
				return rt.RoundTrip(r)
			})
		}
		got := whoAmI(t, proxy)
		require.Equal(t, "alice", got.Username)
		require.Contains(t, got.Groups, "proxied")
	})
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
