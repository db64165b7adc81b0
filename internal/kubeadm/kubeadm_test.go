package kubeadm

import (
	"strings"
	"testing"
)

// TestLayoutIsKubeadms pins every value to kubeadm's, as literals copied
// from k8s.io/kubernetes/cmd/kubeadm/app/constants/constants.go,
// cmd/kubeadm/app/apis/kubeadm/v1beta4/defaults.go and
// cmd/kubeadm/app/phases/etcd/local.go and
// cmd/kubeadm/app/phases/markcontrolplane/markcontrolplane.go at v1.37.2, so that a
// change here that drifts from kubeadm fails.
func TestLayoutIsKubeadms(t *testing.T) {
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"KubernetesDir", KubernetesDir, "/etc/kubernetes"},
		{"ManifestsDir", ManifestsDir, "/etc/kubernetes/manifests"},
		{"PKIDir", PKIDir, "/etc/kubernetes/pki"},
		{"EtcdPKIDir", EtcdPKIDir, "/etc/kubernetes/pki/etcd"},
		{"EtcdDataDir", EtcdDataDir, "/var/lib/etcd"},
		{"EtcdDataVolume", EtcdDataVolume, "etcd-data"},
		{"EtcdCertsVolume", EtcdCertsVolume, "etcd-certs"},
		{"EtcdManifest", EtcdManifest, "/etc/kubernetes/manifests/etcd.yaml"},
		{"APIServerManifest", APIServerManifest, "/etc/kubernetes/manifests/kube-apiserver.yaml"},
		{"ControllerManagerManifest", ControllerManagerManifest, "/etc/kubernetes/manifests/kube-controller-manager.yaml"},
		{"SchedulerManifest", SchedulerManifest, "/etc/kubernetes/manifests/kube-scheduler.yaml"},
		{"ManifestFile(etcd)", ManifestFile(Etcd), "/etc/kubernetes/manifests/etcd.yaml"},
		{"ControlPlaneComponents", strings.Join(ControlPlaneComponents, ","), "etcd,kube-apiserver,kube-controller-manager,kube-scheduler"},
		{"ControllerManagerConf", ControllerManagerConf, "/etc/kubernetes/controller-manager.conf"},
		{"SchedulerConf", SchedulerConf, "/etc/kubernetes/scheduler.conf"},
		{"ControllerManagerUser", ControllerManagerUser, "system:kube-controller-manager"},
		{"SchedulerUser", SchedulerUser, "system:kube-scheduler"},
		{"KubeconfigVolume", KubeconfigVolume, "kubeconfig"},
		{"K8sCertsVolume", K8sCertsVolume, "k8s-certs"},
		{"LabelNodeRoleControlPlane", LabelNodeRoleControlPlane, "node-role.kubernetes.io/control-plane"},
		{"LabelExcludeFromExternalLB", LabelExcludeFromExternalLB, "node.kubernetes.io/exclude-from-external-load-balancers"},
		{"AdminConf", AdminConf, "/etc/kubernetes/admin.conf"},
		{"SuperAdminConf", SuperAdminConf, "/etc/kubernetes/super-admin.conf"},
		{"KubeletConf", KubeletConf, "/etc/kubernetes/kubelet.conf"},
		{"CA cert", CertFile(CACertAndKeyBaseName), "/etc/kubernetes/pki/ca.crt"},
		{"CA key", KeyFile(CACertAndKeyBaseName), "/etc/kubernetes/pki/ca.key"},
		{"API server cert", CertFile(APIServerCertAndKeyBaseName), "/etc/kubernetes/pki/apiserver.crt"},
		{"API server kubelet client key", KeyFile(APIServerKubeletClientCertAndKeyBaseName), "/etc/kubernetes/pki/apiserver-kubelet-client.key"},
		{"API server etcd client cert", CertFile(APIServerEtcdClientCertAndKeyBaseName), "/etc/kubernetes/pki/apiserver-etcd-client.crt"},
		{"front proxy CA cert", CertFile(FrontProxyCACertAndKeyBaseName), "/etc/kubernetes/pki/front-proxy-ca.crt"},
		{"front proxy client key", KeyFile(FrontProxyClientCertAndKeyBaseName), "/etc/kubernetes/pki/front-proxy-client.key"},
		{"etcd CA cert", CertFile(EtcdCACertAndKeyBaseName), "/etc/kubernetes/pki/etcd/ca.crt"},
		{"etcd server cert", CertFile(EtcdServerCertAndKeyBaseName), "/etc/kubernetes/pki/etcd/server.crt"},
		{"etcd server key", KeyFile(EtcdServerCertAndKeyBaseName), "/etc/kubernetes/pki/etcd/server.key"},
		{"etcd peer cert", CertFile(EtcdPeerCertAndKeyBaseName), "/etc/kubernetes/pki/etcd/peer.crt"},
		{"etcd healthcheck client cert", CertFile(EtcdHealthcheckClientCertAndKeyBaseName), "/etc/kubernetes/pki/etcd/healthcheck-client.crt"},
		{"service-account private key", KeyFile(ServiceAccountKeyBaseName), "/etc/kubernetes/pki/sa.key"},
		{"service-account public key", PublicKeyFile(ServiceAccountKeyBaseName), "/etc/kubernetes/pki/sa.pub"},
		{"EtcdListenClientPort", EtcdListenClientPort, 2379},
		{"EtcdListenPeerPort", EtcdListenPeerPort, 2380},
		{"EtcdMetricsPort", EtcdMetricsPort, 2381},
		{"KubeAPIServerPort", KubeAPIServerPort, 6443},
		{"KubeControllerManagerPort", KubeControllerManagerPort, 10257},
		{"KubeSchedulerPort", KubeSchedulerPort, 10259},
		{"EtcdLocalClientURL", EtcdLocalClientURL(), "https://127.0.0.1:2379"},
		{"EtcdLocalMetricsURL", EtcdLocalMetricsURL(), "http://127.0.0.1:2381"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v, kubeadm's is %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestValidateComponents(t *testing.T) {
	for _, tc := range []struct {
		names []string
		err   string
	}{
		{ControlPlaneComponents, ""},
		{[]string{"kube-apiserver", "etcd"}, ""},
		{[]string{"etcd", "kube-apiserver", "kube-scheduler"}, ""},
		{[]string{"etcd", "kube-apiserver", "kubelet"}, `unknown component "kubelet" (known: etcd, kube-apiserver, kube-controller-manager, kube-scheduler)`},
		{[]string{"etcd", "kube-apiserver", "etcd"}, `component "etcd" is listed twice`},
		{[]string{"etcd", "kube-scheduler"}, `component "kube-apiserver" is missing: every lab runs etcd and kube-apiserver`},
		{nil, `component "etcd" is missing: every lab runs etcd and kube-apiserver`},
	} {
		err := ValidateComponents(tc.names)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.err {
			t.Errorf("ValidateComponents(%q) = %q, want %q", tc.names, got, tc.err)
		}
	}
}
