package kubeadm

import "testing"

// TestLayoutIsKubeadms pins every value to kubeadm's, as literals copied
// from k8s.io/kubernetes/cmd/kubeadm/app/constants/constants.go,
// cmd/kubeadm/app/apis/kubeadm/v1beta4/defaults.go and
// cmd/kubeadm/app/phases/etcd/local.go at v1.37.2, so that a
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
		{"EtcdLocalClientURL", EtcdLocalClientURL(), "https://127.0.0.1:2379"},
		{"EtcdLocalMetricsURL", EtcdLocalMetricsURL(), "http://127.0.0.1:2381"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v, kubeadm's is %v", tc.name, tc.got, tc.want)
		}
	}
}
