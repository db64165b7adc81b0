package agent

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/client-go/tools/clientcmd"
	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"
	"sigs.k8s.io/yaml"

	"github.com/ckat/ckat/internal/log"
)

// KubeletOptions are the kubelet's flags that the agent honours; the rest
// of the flags kubeadm's drop-in passes are accepted and have no effect.
type KubeletOptions struct {
	ConfigFile          string // --config
	Kubeconfig          string // --kubeconfig
	BootstrapKubeconfig string // --bootstrap-kubeconfig
	HostnameOverride    string // --hostname-override
	NodeIP              string // --node-ip
	Version             bool   // --version
}

// ParseKubeletFlags parses the kubelet's command line as the kubelet does
// (cmd/kubelet/app/server.go, NewKubeletCommand): an unknown flag or an
// argument that is not a flag is an error.
func ParseKubeletFlags(args []string) (KubeletOptions, error) {
	var o KubeletOptions
	fs := pflag.NewFlagSet("kubelet", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.ConfigFile, "config", "", "")
	fs.StringVar(&o.Kubeconfig, "kubeconfig", "", "")
	fs.StringVar(&o.BootstrapKubeconfig, "bootstrap-kubeconfig", "", "")
	fs.StringVar(&o.HostnameOverride, "hostname-override", "", "")
	fs.StringVar(&o.NodeIP, "node-ip", "", "")
	fs.BoolVar(&o.Version, "version", false, "")
	// Flags kubeadm and kubeadm's users pass that change nothing here.
	for _, name := range []string{"container-runtime-endpoint", "pod-infra-container-image", "register-with-taints",
		"cgroup-driver", "pod-manifest-path", "root-dir", "cert-dir", "node-labels", "runtime-cgroups", "kubelet-cgroups"} {
		fs.String(name, "", "")
	}
	fs.IntP("v", "v", 0, "")
	if err := fs.Parse(args); err != nil {
		return o, fmt.Errorf("failed to parse kubelet flag: %w", err)
	}
	if rest := fs.Args(); len(rest) > 0 {
		return o, fmt.Errorf("unknown command %+s", rest[0])
	}
	return o, nil
}

// The kubelet's default limits on its API client, kubeAPIQPS and
// kubeAPIBurst (pkg/kubelet/apis/config/v1beta1/defaults.go, v1.37), which
// cmd/kubelet/app/server.go sets as the client's QPS and Burst. client-go's
// own default, 5 a second, would hold the agent's first mirror pods back
// by a second or more while the API server bootstraps.
const (
	defaultKubeAPIQPS   = 50
	defaultKubeAPIBurst = 100
)

// LoadKubeletConfig reads a KubeletConfiguration file as the kubelet does
// (pkg/kubelet/kubeletconfig/configfiles, fsLoader.Load) with its errors,
// applies the defaults the agent uses (fileCheckFrequency 20s, kubeAPIQPS
// 50 and kubeAPIBurst 100, from pkg/kubelet/apis/config/v1beta1/defaults.go)
// and makes staticPodPath absolute against the file's directory
// (resolveRelativePaths).
func LoadKubeletConfig(path string) (*kubeletv1beta1.KubeletConfiguration, error) {
	errf := func(err error) error {
		return fmt.Errorf("failed to load Kubelet config file %s, error %v", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, errf(err)
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, errf(fmt.Errorf("failed to read kubelet config file %q, error: %v", abs, err))
	}
	if len(data) == 0 {
		return nil, errf(fmt.Errorf("kubelet config file %q was empty", abs))
	}
	var kc kubeletv1beta1.KubeletConfiguration
	if err := yaml.Unmarshal(data, &kc); err != nil {
		return nil, errf(fmt.Errorf("failed to decode: %w", err))
	}
	if kc.APIVersion != kubeletv1beta1.SchemeGroupVersion.String() || kc.Kind != "KubeletConfiguration" {
		return nil, errf(fmt.Errorf("failed to decode: no kind %q is registered for version %q in scheme \"pkg/kubelet/apis/config/scheme/scheme.go:33\"", kc.Kind, kc.APIVersion))
	}
	if kc.FileCheckFrequency.Duration == 0 {
		kc.FileCheckFrequency.Duration = fileCheckFrequency
	}
	if kc.KubeAPIQPS == nil {
		qps := int32(defaultKubeAPIQPS)
		kc.KubeAPIQPS = &qps
	}
	if kc.KubeAPIBurst == 0 {
		kc.KubeAPIBurst = defaultKubeAPIBurst
	}
	if kc.StaticPodPath != "" && !filepath.IsAbs(kc.StaticPodPath) {
		kc.StaticPodPath = filepath.Join(filepath.Dir(abs), kc.StaticPodPath)
	}
	return &kc, nil
}

// kubeletConfig turns the kubelet's flags and configuration file into the
// agent's Config, starting from base (the node's paths and executables).
func kubeletConfig(o KubeletOptions, base Config, logger *log.Logger) (cfg Config, healthz string, err error) {
	cfg = base
	healthz = "127.0.0.1:10248"
	cfg.KeepPodsOnExit = true
	cfg.ManifestDir = ""
	if o.ConfigFile != "" {
		kc, err := LoadKubeletConfig(o.ConfigFile)
		if err != nil {
			return cfg, "", fmt.Errorf("failed to load kubelet config file, path: %s, error: %w", o.ConfigFile, err)
		}
		cfg.ManifestDir = kc.StaticPodPath
		cfg.FileCheckFrequency = kc.FileCheckFrequency.Duration
		cfg.KubeAPIQPS, cfg.KubeAPIBurst = float32(*kc.KubeAPIQPS), int(kc.KubeAPIBurst)
		if kc.HealthzPort != nil {
			healthz = ""
			if *kc.HealthzPort > 0 {
				healthz = net.JoinHostPort(kc.HealthzBindAddress, strconv.Itoa(int(*kc.HealthzPort)))
			}
		}
	}
	if o.HostnameOverride != "" {
		cfg.NodeName = strings.ToLower(o.HostnameOverride)
	}
	if o.NodeIP != "" {
		cfg.NodeIP = o.NodeIP
	}
	logger.V(0).Infof("\"Kubelet version\" kubeletVersion=%q", KubeletVersion)
	// With kubeadm's rotateCertificates, a kubeconfig that is missing or
	// unusable is replaced from the bootstrap kubeconfig
	// (pkg/kubelet/certificate/bootstrap, LoadClientConfig); kubeadm
	// removes that once the node has joined, so here it is an error.
	cfg.Kubeconfig = o.Kubeconfig
	if o.Kubeconfig == "" {
		logger.V(0).Infof("\"No API server defined - no node status update will be sent\"")
	} else if _, err := clientcmd.LoadFromFile(o.Kubeconfig); err != nil {
		if o.BootstrapKubeconfig == "" {
			return cfg, "", fmt.Errorf("failed to run Kubelet: invalid kubeconfig: %w", err)
		}
		if _, err := os.Stat(o.BootstrapKubeconfig); err != nil {
			return cfg, "", fmt.Errorf("failed to run Kubelet: unable to load bootstrap kubeconfig: %v", err)
		}
		return cfg, "", fmt.Errorf("failed to run Kubelet: bootstrapping a client certificate from %s is not supported on this node", o.BootstrapKubeconfig)
	}
	if cfg.ManifestDir != "" {
		// pkg/kubelet/kubelet.go, makePodSourceConfig.
		logger.V(0).Infof("\"Adding static pod path\" path=%q", cfg.ManifestDir)
	}
	return cfg, healthz, nil
}

// KubeletMain is the body of ckat run as `kubelet`: the node agent started
// with the kubelet's flags as kubeadm's kubelet.service and its drop-in
// pass them. base is the node's agent configuration, for what the flags
// do not say. It returns when ctx ends, leaving the containers running.
func KubeletMain(ctx context.Context, args []string, base string, stdout io.Writer, logger *log.Logger) error {
	o, err := ParseKubeletFlags(args)
	if err != nil {
		return err
	}
	if o.Version {
		fmt.Fprintf(stdout, "Kubernetes %s\n", KubeletVersion)
		return nil
	}
	bc, err := ReadConfig(base)
	if err != nil {
		return err
	}
	cfg, healthz, err := kubeletConfig(o, bc, logger)
	if err != nil {
		return err
	}
	if healthz != "" {
		// The healthz endpoint kubeadm polls; a second kubelet on the
		// node fails here, as the real one fails to bind its ports.
		ln, err := net.Listen("tcp", healthz)
		if err != nil {
			return fmt.Errorf("failed to run Kubelet: %w", err)
		}
		defer ln.Close()
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
	}
	return Run(ctx, cfg, logger)
}
