package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// journalLine is journalctl's short format on the node.
var journalLine = regexp.MustCompile(`^[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d controlplane (kubelet\[\d+\]|systemd\[1\]): `)

// TestKubeletService drives the node's kubelet as a learner does through
// systemctl and journalctl: status and exit codes, the static pods'
// processes surviving a stop and a kill -9, a manifest edited while the
// kubelet is stopped taking effect at its start, the journal, a unit that
// does not exist, and a staticPodPath that does not exist after a restart.
func TestKubeletService(t *testing.T) {
	c := newCkat(t)
	c.must("lab", "create", "kl", "--wait", "3m")
	sh := func(script string) result { return c.run("exec", "--lab", "kl", "--", "sh", "-c", script) }
	must := func(script string) string {
		t.Helper()
		r := sh(script)
		if r.code != 0 {
			t.Fatalf("%s: exit %d\nstdout: %s\nstderr: %s", script, r.code, r.stdout, r.stderr)
		}
		return r.stdout
	}
	expect := func(script string, code int, contains ...string) string {
		t.Helper()
		r := sh(script)
		if r.code != code {
			t.Errorf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", script, r.code, code, r.stdout, r.stderr)
		}
		for _, s := range contains {
			if !strings.Contains(r.stdout+r.stderr, s) {
				t.Errorf("%s: output lacks %q:\n%s%s", script, s, r.stdout, r.stderr)
			}
		}
		return r.stdout
	}
	podPIDs := func() string { return strings.TrimSpace(must("pidof etcd; pidof kube-apiserver")) }

	status := expect("systemctl status kubelet", 0,
		"● kubelet.service - kubelet: The Kubernetes Node Agent\n",
		"     Loaded: loaded (/usr/lib/systemd/system/kubelet.service; enabled; preset: enabled)\n",
		"    Drop-In: /usr/lib/systemd/system/kubelet.service.d\n             └─10-kubeadm.conf\n",
		"     Active: active (running) since ",
		"       Docs: https://kubernetes.io/docs/\n",
		" (kubelet)\n",
		"     CGroup: /system.slice/kubelet.service\n",
		"/usr/bin/kubelet --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf --config=/var/lib/kubelet/config.yaml",
		`"Adding static pod path" path="/etc/kubernetes/manifests"`)
	if !regexp.MustCompile(`(?m)^   Main PID: \d+ \(kubelet\)$`).MatchString(status) {
		t.Errorf("systemctl status has no Main PID line:\n%s", status)
	}
	expect("systemctl is-active kubelet", 0, "active\n")
	expect("systemctl is-enabled kubelet", 0, "enabled\n")
	pods := podPIDs()
	// Each container hangs from a shim of its own, ckat-shim, as a
	// kubeadm node's containers hang from containerd-shim.
	parents := must(`for p in etcd kube-apiserver; do pp=$(awk '{print $4}' /proc/$(pidof $p)/stat); tr '\0' ' ' </proc/$pp/cmdline; echo; done`)
	for _, line := range strings.Split(strings.TrimSpace(parents), "\n") {
		if !strings.HasPrefix(line, "/run/ckat/bin/ckat-shim __shim ") {
			t.Errorf("a static pod's parent is %q, want /run/ckat/bin/ckat-shim __shim SCRATCH", line)
		}
	}

	// A pod of the learner's, to edit while the kubelet is stopped.
	must(`cat > /etc/kubernetes/manifests/sleeper.yaml <<EOF
apiVersion: v1
kind: Pod
metadata: {name: sleeper, namespace: default}
spec:
  hostNetwork: true
  containers:
  - {name: sleeper, image: busybox, command: [sleep, "3600"]}
EOF`)
	eventually(t, 30*time.Second, "the sleeper pod runs", func() error {
		if sh("pgrep -fx 'sleep 3600'").code != 0 {
			return fmt.Errorf("no sleep 3600")
		}
		return nil
	})

	expect("systemctl stop kubelet", 0)
	expect("systemctl is-active kubelet", 3, "inactive\n")
	expect("systemctl status kubelet", 3, "○ kubelet.service", "     Active: inactive (dead) since ", "(code=exited, status=0/SUCCESS)",
		"systemd[1]: Stopped kubelet.service - kubelet: The Kubernetes Node Agent.")
	must(`sed -i 's/"3600"/"7200"/' /etc/kubernetes/manifests/sleeper.yaml`)
	time.Sleep(3 * time.Second)
	if got := podPIDs(); got != pods {
		t.Errorf("the static pods' processes changed while the kubelet was stopped: %q, were %q", got, pods)
	}
	if sh("pgrep -fx 'sleep 3600'").code != 0 || sh("pgrep -fx 'sleep 7200'").code == 0 {
		t.Errorf("the manifest edit took effect while the kubelet was stopped:\n%s", must("ps -ef"))
	}

	expect("systemctl start kubelet", 0)
	eventually(t, 30*time.Second, "the edited pod replaces the old one after the start", func() error {
		if sh("pgrep -fx 'sleep 7200'").code != 0 || sh("pgrep -fx 'sleep 3600'").code == 0 {
			return fmt.Errorf("processes:\n%s", must("ps -e -o pid,args"))
		}
		return nil
	})
	if got := podPIDs(); got != pods {
		t.Errorf("the start replaced the unchanged static pods' processes: %q, were %q", got, pods)
	}

	must("kill -9 $(pidof kubelet)")
	expect("sleep 1; systemctl status kubelet", 3, "     Active: activating (auto-restart) (Result: signal) since ",
		"(code=killed, signal=KILL)", "systemd[1]: kubelet.service: Main process exited, code=killed, status=9/KILL")
	if st := c.statuses()["kl"].State; st != "running" {
		t.Errorf("after kill -9 of the kubelet the lab is %q, want running", st)
	}
	eventually(t, 30*time.Second, "systemd restarts the killed kubelet", func() error {
		if r := sh("systemctl is-active kubelet"); r.code != 0 {
			return fmt.Errorf("is-active: %s", r.stdout)
		}
		return nil
	})
	if got := podPIDs(); got != pods {
		t.Errorf("the static pods' processes changed through a kill -9 of the kubelet: %q, were %q", got, pods)
	}

	since := strings.TrimSpace(must(`sleep 1; date "+%Y-%m-%d %H:%M:%S"; sleep 1`))
	expect("systemctl restart kubelet", 0)
	after := expect(fmt.Sprintf("journalctl -u kubelet --since %q --no-pager", since), 0,
		"systemd[1]: Stopping kubelet.service - kubelet: The Kubernetes Node Agent...")
	if n := strings.Count(after, "Started kubelet.service"); n != 1 {
		t.Errorf("journalctl --since %q shows %d starts, want the restart's one:\n%s", since, n, after)
	}
	if all := must("journalctl -u kubelet --no-pager"); strings.Count(all, "Started kubelet.service") < 4 {
		t.Errorf("journalctl -u kubelet shows fewer than the four starts:\n%s", all)
	}
	last := strings.Split(strings.TrimSuffix(must("journalctl -u kubelet -n 5 --no-pager"), "\n"), "\n")
	if len(last) != 5 {
		t.Errorf("journalctl -n 5 printed %d lines:\n%s", len(last), strings.Join(last, "\n"))
	}
	for _, l := range last {
		if !journalLine.MatchString(l) {
			t.Errorf("journal line not in journalctl's format: %q", l)
		}
	}
	expect("systemctl status containerd", 4, "Unit containerd.service could not be found.")
	expect("journalctl -u containerd", 0, "-- No entries --")

	// A staticPodPath that does not exist: after a restart the kubelet
	// runs no static pod and says why.
	must(`sed -i 's#^staticPodPath: .*#staticPodPath: /etc/kubernetes/manifest#' /var/lib/kubelet/config.yaml`)
	expect("systemctl restart kubelet", 0)
	eventually(t, 30*time.Second, "the static pods stop", func() error {
		if r := sh("pidof etcd kube-apiserver sleep"); r.code == 0 {
			return fmt.Errorf("still running: %s", r.stdout)
		}
		return nil
	})
	time.Sleep(3 * time.Second)
	if r := sh("pidof etcd kube-apiserver sleep"); r.code == 0 {
		t.Errorf("static pods run with a staticPodPath that does not exist: %s", r.stdout)
	}
	expect("journalctl -u kubelet -n 20", 0, `"Unable to read config path" err="path does not exist, ignoring" path="/etc/kubernetes/manifest"`)
	expect("systemctl is-active kubelet", 0, "active\n")
}
