package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	layout "github.com/ckat/ckat/internal/kubeadm"
	"github.com/ckat/ckat/internal/testbin"
	"github.com/ckat/ckat/labs/local/kubeadm"
)

// BenchmarkLabCreate measures `ckat lab create` until the API server's
// /readyz says ok and every static pod's mirror pod is listed (s/op), the
// time to start the same binaries by hand (etcd, kube-apiserver,
// kube-controller-manager and kube-scheduler, from the same flags and
// certificates) until /readyz says ok (manual-s/op), their ratio, and the
// resident memory of a running lab, every process of its PID namespace
// together: the sum of their VmRSS (rss-MB, which counts the pages of the
// ckat executable that PID 1, the agent and etcd share once per process)
// and of their Pss (pss-MB, which shares them out).
func BenchmarkLabCreate(b *testing.B) {
	c := newCkat(b)
	bin := testbin.Dir(b, "ckat", "kube-apiserver")
	var create, manual time.Duration
	var rssMB, pssMB float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("bench-%d", i)
		start := time.Now()
		c.must("lab", "create", name)
		create += time.Since(start)
		b.StopTimer()

		// Let the API server settle after its post-start hooks before
		// sampling the lab's memory.
		time.Sleep(5 * time.Second)
		var rss, pss int64
		for pid, kB := range nsProcesses(pidNamespace(b, c.state(name).PID)) {
			rss += kB
			pss += procPss(pid)
		}
		rssMB = max(rssMB, float64(rss)/1024)
		pssMB = max(pssMB, float64(pss)/1024)
		c.must("lab", "delete", name)

		manual += startByHand(b, bin)
		b.StartTimer()
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(create.Seconds()/n, "s/op")
	b.ReportMetric(manual.Seconds()/n, "manual-s/op")
	b.ReportMetric(create.Seconds()/manual.Seconds(), "ratio")
	b.ReportMetric(rssMB, "rss-MB")
	b.ReportMetric(pssMB, "pss-MB")
}

// procPss is a process's proportional set size in kB, from
// /proc/PID/smaps_rollup.
func procPss(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "Pss:" {
			var kB int64
			_, _ = fmt.Sscanf(f[1], "%d", &kB) // 0 when unreadable
			return kB
		}
	}
	return 0
}

// startByHand starts etcd, kube-apiserver, kube-controller-manager and
// kube-scheduler directly, as a lab's kubelet starts them: at once, with
// the flags of a kubeadm.Generate'd tree's manifests (paths moved under the
// tree, ports made free, the kubeconfigs pointed at the moved port), and
// returns the time until /readyz says ok. The controller manager and the
// scheduler connect as soon as the API server serves and share the two
// cores with it while its post-start hooks run, in a lab as here.
func startByHand(b *testing.B, bin string) time.Duration {
	b.Helper()
	root := b.TempDir()
	// The API server refuses a loopback advertise address, and the host
	// has no node address: etcd listens on 127.0.0.2 in its place.
	const nodeIP = "172.30.254.10"
	if err := kubeadm.Generate(root, kubeadm.Config{NodeIP: nodeIP}); err != nil {
		b.Fatal(err)
	}
	ports := map[string]string{}
	for _, p := range []string{"2379", "2380", "2381", "6443"} {
		ports[p] = freePort(b)
	}
	server := "https://127.0.0.1:" + ports["6443"]
	for _, conf := range []string{layout.ControllerManagerConf, layout.SchedulerConf} {
		path := filepath.Join(root, conf)
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		data = []byte(strings.ReplaceAll(string(data), kubeadm.APIServerURL(nodeIP), server))
		if err := os.WriteFile(path, data, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	rewrite := func(arg string) string {
		arg = strings.ReplaceAll(arg, "/etc/kubernetes/", root+"/etc/kubernetes/")
		arg = strings.ReplaceAll(arg, "=/var/lib/etcd", "="+root+"/var/lib/etcd")
		for from, to := range ports {
			arg = strings.ReplaceAll(arg, ":"+from, ":"+to)
			if arg == "--secure-port="+from {
				arg = "--secure-port=" + to
			}
		}
		return arg
	}
	etcdArgs := manifestCommand(b, root, "etcd.yaml", func(arg string) string {
		return strings.ReplaceAll(rewrite(arg), nodeIP, "127.0.0.2")
	})
	apiArgs := manifestCommand(b, root, "kube-apiserver.yaml", rewrite)
	// Their health ports (10257, 10259) may be taken on the host.
	kcmArgs := append(manifestCommand(b, root, "kube-controller-manager.yaml", rewrite), "--secure-port="+freePort(b))
	schedulerArgs := append(manifestCommand(b, root, "kube-scheduler.yaml", rewrite), "--secure-port="+freePort(b))
	admin, err := kubeadm.AdminKubeconfig(root, server)
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(admin)
	if err != nil {
		b.Fatal(err)
	}
	cfg.Timeout = 2 * time.Second
	client := kubernetes.NewForConfigOrDie(cfg)

	start := time.Now()
	procs := []*process{
		spawn(b, root, filepath.Join(bin, "ckat"), etcdArgs),
		spawn(b, root, filepath.Join(bin, "kube-apiserver"), apiArgs),
		spawn(b, root, filepath.Join(bin, "kube-controller-manager"), kcmArgs),
		spawn(b, root, filepath.Join(bin, "kube-scheduler"), schedulerArgs),
	}
	defer func() {
		// The clients first: the API server waits for their watches.
		for i := len(procs) - 1; i >= 0; i-- {
			procs[i].stop()
		}
	}()
	for {
		body, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(context.Background())
		if err == nil && string(body) == "ok" {
			return time.Since(start)
		}
		for _, p := range procs {
			select {
			case <-p.done:
				b.Fatalf("%s started by hand exited: %s", p.cmd.Args[0], p.tail())
			default:
			}
		}
		if time.Since(start) > 2*time.Minute {
			b.Fatalf("kube-apiserver started by hand not ready after 2m: %v\n%s", err, procs[1].tail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// manifestCommand returns a static pod manifest's command with every
// argument rewritten.
func manifestCommand(b *testing.B, root, manifest string, rewrite func(string) string) []string {
	data, err := os.ReadFile(filepath.Join(root, "etc/kubernetes/manifests", manifest))
	if err != nil {
		b.Fatal(err)
	}
	var pod corev1.Pod
	if err := yaml.Unmarshal(data, &pod); err != nil {
		b.Fatal(err)
	}
	c := pod.Spec.Containers[0]
	var args []string
	for _, a := range append(c.Command, c.Args...) {
		args = append(args, rewrite(a))
	}
	return args
}

// process is a control-plane process started by hand.
type process struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// spawn runs args[0] from exe (so ckat runs as etcd by its name), logging
// to root/NAME.log.
func spawn(b *testing.B, root, exe string, args []string) *process {
	p := &process{log: filepath.Join(root, args[0]+".log"), done: make(chan struct{})}
	log, err := os.Create(p.log)
	if err != nil {
		b.Fatal(err)
	}
	p.cmd = &exec.Cmd{Path: exe, Args: args, Stdout: log, Stderr: log}
	if err := p.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); log.Close(); close(p.done) }()
	return p
}

// tail is the end of the process's log.
func (p *process) tail() string {
	data, _ := os.ReadFile(p.log)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	return strings.Join(lines[max(0, len(lines)-5):], "\n")
}

func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func freePort(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}
