package kubeadm

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"strconv"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	certutil "k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"

	layout "github.com/ckat/ckat/internal/kubeadm"
)

// kubeconfigSpec is one kubeconfig kubeadm writes with a client certificate.
type kubeconfigSpec struct {
	path   string
	user   string
	groups []string
}

// APIServerURL is the server kubeadm writes into the kubeconfigs: the
// node's advertise address and the secure port.
func APIServerURL(nodeIP string) string {
	return "https://" + net.JoinHostPort(nodeIP, strconv.Itoa(layout.KubeAPIServerPort))
}

func writeKubeconfigs(root string, cfg Config, ca authority) error {
	// kubeadm: client certificates valid a year from the start of init.
	notAfter := time.Now().UTC().Add(certificateValidity)
	// The specs of kubeadm's phases/kubeconfig/kubeconfig.go
	// (getKubeConfigSpecsBase); every kubeconfig names the node's own API
	// server, the local API endpoint.
	for _, s := range []kubeconfigSpec{
		{layout.AdminConf, AdminUser, []string{ClusterAdminsGroup}},
		{layout.SuperAdminConf, SuperAdminUser, []string{SystemMastersGroup}},
		{layout.KubeletConf, "system:node:" + cfg.NodeName, []string{NodesGroup}},
		{layout.ControllerManagerConf, layout.ControllerManagerUser, nil},
		{layout.SchedulerConf, layout.SchedulerUser, nil},
	} {
		cert, key, err := newCertAndKey(ca, certutil.Config{
			CommonName:   s.user,
			Organization: s.groups,
			Usages:       []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}, notAfter)
		if err != nil {
			return fmt.Errorf("create client certificate for %s: %w", s.path, err)
		}
		keyPEM, err := keyutil.MarshalPrivateKeyToPEM(key)
		if err != nil {
			return fmt.Errorf("encode client key for %s: %w", s.path, err)
		}
		kc := newKubeconfig(APIServerURL(cfg.NodeIP), cfg.ClusterName, s.user, encodeCert(ca.cert), keyPEM, encodeCert(cert))
		data, err := clientcmd.Write(*kc)
		if err != nil {
			return fmt.Errorf("encode %s: %w", s.path, err)
		}
		if err := writeFile(hostPath(root, s.path), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// newKubeconfig builds a kubeconfig as kubeadm's CreateWithCerts does: one
// cluster, one user, and the context USER@CLUSTER.
func newKubeconfig(server, clusterName, user string, caPEM, keyPEM, certPEM []byte) *clientcmdapi.Config {
	contextName := user + "@" + clusterName
	kc := clientcmdapi.NewConfig()
	kc.Clusters[clusterName] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: caPEM}
	kc.AuthInfos[user] = &clientcmdapi.AuthInfo{ClientCertificateData: certPEM, ClientKeyData: keyPEM}
	kc.Contexts[contextName] = &clientcmdapi.Context{Cluster: clusterName, AuthInfo: user}
	kc.CurrentContext = contextName
	return kc
}

// AdminKubeconfig returns admin.conf's content, read from under root, with
// every cluster's server replaced by server (for access from the host
// through a forwarded port, e.g. https://127.0.0.1:PORT).
func AdminKubeconfig(root, server string) ([]byte, error) {
	return rewriteServer(hostPath(root, layout.AdminConf), server)
}

// SuperAdminKubeconfig is AdminKubeconfig for super-admin.conf, whose user is
// in system:masters and so works before Bootstrap has run.
func SuperAdminKubeconfig(root, server string) ([]byte, error) {
	return rewriteServer(hostPath(root, layout.SuperAdminConf), server)
}

func rewriteServer(path, server string) ([]byte, error) {
	kc, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig %s: %w", path, err)
	}
	if len(kc.Clusters) == 0 {
		return nil, fmt.Errorf("kubeconfig %s has no cluster", path)
	}
	for _, c := range kc.Clusters {
		c.Server = server
	}
	data, err := clientcmd.Write(*kc)
	if err != nil {
		return nil, fmt.Errorf("encode kubeconfig %s: %w", path, err)
	}
	return data, nil
}

// ClusterAdminsBinding is the ClusterRoleBinding kubeadm creates after init,
// which gives admin.conf's group kubeadm:cluster-admins the cluster-admin role.
func ClusterAdminsBinding() *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: ClusterAdminsGroup},
		RoleRef: rbacv1.RoleRef{
			APIGroup: rbacv1.GroupName,
			Kind:     "ClusterRole",
			Name:     "cluster-admin",
		},
		Subjects: []rbacv1.Subject{{
			Kind: rbacv1.GroupKind,
			Name: ClusterAdminsGroup,
		}},
	}
}

// Bootstrap does what kubeadm init does once the API server answers and
// that the API server does not do itself: it creates the ClusterRoleBinding
// kubeadm:cluster-admins -> cluster-admin, without which admin.conf is
// forbidden everything, and marks node nodeName as the control plane
// (MarkControlPlane), waiting for it to register. cfg must be allowed to do
// both (super-admin.conf's credentials are). It is idempotent: an existing
// binding is left alone.
func Bootstrap(ctx context.Context, cfg *rest.Config, nodeName string) error {
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("bootstrap: client: %w", err)
	}
	_, err = client.RbacV1().ClusterRoleBindings().Create(ctx, ClusterAdminsBinding(), metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("bootstrap: create ClusterRoleBinding %s: %w", ClusterAdminsGroup, err)
	}
	if err := MarkControlPlane(ctx, client, nodeName); err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	return nil
}
