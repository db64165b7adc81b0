package kubeadm

import (
	"fmt"
	"net"

	layout "github.com/ckat/ckat/internal/kubeadm"
)

// kubeletConfigTemplate is the KubeletConfiguration `kubeadm init` writes
// to /var/lib/kubelet/config.yaml: kubeadm's defaults
// (cmd/kubeadm/app/componentconfigs/kubelet.go, kubeletConfig.Default)
// marshalled as kubeadm marshals them, zero durations included. The one
// value is clusterDNS, the tenth address of the service range.
const kubeletConfigTemplate = `apiVersion: kubelet.config.k8s.io/v1beta1
authentication:
  anonymous:
    enabled: false
  webhook:
    cacheTTL: 0s
    enabled: true
  x509:
    clientCAFile: %s
authorization:
  mode: Webhook
  webhook:
    cacheAuthorizedTTL: 0s
    cacheUnauthorizedTTL: 0s
cgroupDriver: systemd
clusterDNS:
- %s
clusterDomain: %s
containerRuntimeEndpoint: ""
cpuManagerReconcilePeriod: 0s
crashLoopBackOff: {}
evictionPressureTransitionPeriod: 0s
fileCheckFrequency: 0s
healthzBindAddress: 127.0.0.1
healthzPort: %d
httpCheckFrequency: 0s
imageMaximumGCAge: 0s
imageMinimumGCAge: 0s
kind: KubeletConfiguration
logging:
  flushFrequency: 0
  options:
    json:
      infoBufferSize: "0"
    text:
      infoBufferSize: "0"
  verbosity: 0
memorySwap: {}
nodeStatusReportFrequency: 0s
nodeStatusUpdateFrequency: 0s
rotateCertificates: true
runtimeRequestTimeout: 0s
shutdownGracePeriod: 0s
shutdownGracePeriodCriticalPods: 0s
staticPodPath: %s
streamingConnectionIdleTimeout: 0s
syncFrequency: 0s
volumeStatsAggPeriod: 0s
`

// writeKubeletFiles writes what `kubeadm init` writes for the kubelet
// (cmd/kubeadm/app/phases/kubelet): config.yaml and kubeadm-flags.env in
// /var/lib/kubelet (0700). The node's name is its hostname, so the flags
// are empty (flags.go, buildKubeletArgsCommon).
func writeKubeletFiles(root string, cfg Config) error {
	vip, err := serviceVIP(cfg.ServiceCIDR)
	if err != nil {
		return err
	}
	dns := make(net.IP, len(vip.To4()))
	copy(dns, vip.To4())
	dns[3] += 9 // the service range's tenth address: 10.96.0.10
	if err := mkdir(hostPath(root, layout.KubeletDir), 0o700); err != nil {
		return err
	}
	config := fmt.Sprintf(kubeletConfigTemplate, layout.CertFile(layout.CACertAndKeyBaseName), dns.String(), DNSDomain,
		layout.KubeletHealthzPort, layout.ManifestsDir)
	for _, f := range []struct {
		path, data string
	}{
		{layout.KubeletConfigFile, config},
		{layout.KubeletEnvFile, "KUBELET_KUBEADM_ARGS=\"\"\n"},
	} {
		p := hostPath(root, f.path)
		if err := writeFile(p, []byte(f.data), 0o644); err != nil {
			return err
		}
	}
	return nil
}
