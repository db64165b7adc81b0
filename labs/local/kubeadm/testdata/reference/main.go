// Command reference writes what kubeadm v1.37.2's own code writes for the
// node TestMatchesKubeadm compares Generate with: the etcd, kube-apiserver,
// kube-controller-manager and kube-scheduler static pod manifests, the PKI
// and the kubeconfigs of `kubeadm init`, with
// kubeadm's ClusterConfiguration matching labs/local/kubeadm's Config.
// Private keys are left out; modes.txt lists every file written with its mode.
//
// Run from this directory: go run . ../kubeadm-v1.37.2
package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/client-go/tools/clientcmd"

	kubeadmconstants "k8s.io/kubernetes/cmd/kubeadm/app/constants"
	certsphase "k8s.io/kubernetes/cmd/kubeadm/app/phases/certs"
	controlplanephase "k8s.io/kubernetes/cmd/kubeadm/app/phases/controlplane"
	etcdphase "k8s.io/kubernetes/cmd/kubeadm/app/phases/etcd"
	kubeconfigphase "k8s.io/kubernetes/cmd/kubeadm/app/phases/kubeconfig"
	configutil "k8s.io/kubernetes/cmd/kubeadm/app/util/config"
)

// config is the kubeadm configuration labs/local/kubeadm mirrors, with the
// node of its tests.
const config = `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: 172.30.7.10
  bindPort: 6443
nodeRegistration:
  name: controlplane
  criSocket: unix:///run/containerd/containerd.sock
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.37.2
clusterName: kubernetes
encryptionAlgorithm: ECDSA-P256
apiServer:
  certSANs: [localhost, 127.0.0.1]
etcd:
  local:
    imageTag: 3.7.3-0
networking:
  serviceSubnet: 10.96.0.0/12
  dnsDomain: cluster.local
`

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: reference OUTPUT_DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "reference:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	scratch, err := os.MkdirTemp("", "kubeadm-reference")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	kubernetesDir := filepath.Join(scratch, "etc/kubernetes")
	manifestDir := filepath.Join(kubernetesDir, "manifests")

	cfg, err := configutil.BytesToInitConfiguration([]byte(config), true)
	if err != nil {
		return err
	}
	cfg.CertificatesDir = filepath.Join(kubernetesDir, "pki")
	if err := certsphase.CreatePKIAssets(cfg); err != nil {
		return err
	}
	for _, name := range []string{kubeadmconstants.AdminKubeConfigFileName, kubeadmconstants.SuperAdminKubeConfigFileName, kubeadmconstants.KubeletKubeConfigFileName,
		kubeadmconstants.ControllerManagerKubeConfigFileName, kubeadmconstants.SchedulerKubeConfigFileName} {
		if err := kubeconfigphase.CreateKubeConfigFile(name, kubernetesDir, cfg); err != nil {
			return err
		}
	}
	// The manifests name the node's paths.
	cfg.CertificatesDir = kubeadmconstants.KubernetesDir + "/pki"
	if err := etcdphase.CreateLocalEtcdStaticPodManifestFile(manifestDir, "", cfg.NodeRegistration.Name, &cfg.ClusterConfiguration, &cfg.LocalAPIEndpoint, false); err != nil {
		return err
	}
	if err := controlplanephase.CreateStaticPodFiles(manifestDir, "", &cfg.ClusterConfiguration, &cfg.LocalAPIEndpoint, false,
		kubeadmconstants.KubeAPIServer, kubeadmconstants.KubeControllerManager, kubeadmconstants.KubeScheduler); err != nil {
		return err
	}
	return copyPublic(scratch, out)
}

// copyPublic copies what scratch holds to out, leaving private keys out and
// client keys out of kubeconfigs, and writes out/modes.txt.
func copyPublic(scratch, out string) error {
	var modes []string
	err := filepath.WalkDir(scratch, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == scratch {
			return err
		}
		rel, _ := filepath.Rel(scratch, path)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		modes = append(modes, fmt.Sprintf("%04o %s", fi.Mode().Perm(), rel))
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(out, rel), 0o755)
		}
		if strings.HasSuffix(rel, ".key") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasSuffix(rel, ".conf") {
			kc, err := clientcmd.Load(data)
			if err != nil {
				return err
			}
			for _, u := range kc.AuthInfos {
				u.ClientKeyData = nil
			}
			if data, err = clientcmd.Write(*kc); err != nil {
				return err
			}
		}
		return os.WriteFile(filepath.Join(out, rel), data, 0o644)
	})
	if err != nil {
		return err
	}
	sort.Strings(modes)
	return os.WriteFile(filepath.Join(out, "modes.txt"), []byte(strings.Join(modes, "\n")+"\n"), 0o644)
}
