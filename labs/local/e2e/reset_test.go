package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestResetInPlace: after a learner fixed kube-controller-manager's
// manifest and changed objects, `ckat reset` puts the objects and the
// manifest back with etcd and the API server left running (the same
// containers, as `crictl ps` shows them); once etcd's manifest changed,
// it stops the control plane and copies etcd's data back instead.
func TestResetInPlace(t *testing.T) {
	c := newCkat(t)
	c.must("start", "controller-manager-kubeconfig", "--seed", "3")
	var task struct{ Params map[string]string }
	if err := json.Unmarshal([]byte(c.must("task", "-o", "json")), &task); err != nil {
		t.Fatal(err)
	}
	ns, deployment := task.Params["namespace"], task.Params["deployment"]
	containers := func() map[string]string {
		t.Helper()
		var ps struct {
			Containers []struct {
				ID       string `json:"id"`
				Metadata struct{ Name string }
			}
		}
		if err := json.Unmarshal([]byte(c.must("exec", "--", "crictl", "ps", "-o", "json")), &ps); err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, ct := range ps.Containers {
			out[ct.Metadata.Name] = ct.ID
		}
		return out
	}
	baselineKCM := c.must("exec", "--", "cat", "/etc/kubernetes/manifests/kube-controller-manager.yaml")
	baselineEtcd := c.must("exec", "--", "cat", "/etc/kubernetes/manifests/etcd.yaml")

	c.must("exec", "--", "bash", "-c", c.must("solution"))
	c.must("exec", "--", "kubectl", "create", "configmap", "learners-note", "-n", ns, "--from-literal=a=b")
	c.must("exec", "--", "kubectl", "label", "deployment", deployment, "-n", ns, "learner=yes")
	before := containers()
	if before["etcd"] == "" || before["kube-apiserver"] == "" || before["kube-controller-manager"] == "" {
		t.Fatalf("crictl ps before the reset: %v", before)
	}

	r := c.run("reset")
	if r.code != 0 || !strings.Contains(r.stderr, "Putting back the objects and the manifests (etcd and the API server keep running)") {
		t.Fatalf("ckat reset: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	after := containers()
	for _, name := range []string{"etcd", "kube-apiserver"} {
		if after[name] != before[name] {
			t.Errorf("ckat reset restarted %s (container %s, then %s); it needed no restart", name, before[name], after[name])
		}
	}
	if after["kube-controller-manager"] == before["kube-controller-manager"] {
		t.Errorf("ckat reset left the learner's kube-controller-manager (container %s) running", before["kube-controller-manager"])
	}
	if got := c.must("exec", "--", "cat", "/etc/kubernetes/manifests/kube-controller-manager.yaml"); got != baselineKCM {
		t.Errorf("kube-controller-manager.yaml after ckat reset differs from setup's:\n%s", got)
	}
	if r := c.run("exec", "--", "kubectl", "get", "configmap", "learners-note", "-n", ns); r.code == 0 || !strings.Contains(r.stderr, "NotFound") {
		t.Errorf("the learner's ConfigMap after ckat reset: exit %d, %s%s", r.code, r.stdout, r.stderr)
	}
	got := c.must("exec", "--", "kubectl", "get", "deployment", deployment, "-n", ns, "-o", "jsonpath={.spec.replicas} {.metadata.labels.learner}")
	if strings.TrimSpace(got) != "1" {
		t.Errorf("Deployment %s after ckat reset: replicas and label %q, want 1 replica and no label", deployment, got)
	}
	eventually(t, time.Minute, "kube-controller-manager's mirror pod", func() error {
		return c.runErr("exec", "--", "kubectl", "get", "pod", "-n", "kube-system", "kube-controller-manager-controlplane")
	})
	if rep := c.grade(1); rep.Score != 0 {
		t.Errorf("after ckat reset: %d/%d, want 0", rep.Score, rep.MaxScore)
	}

	// etcd's manifest changed: the reset copies etcd's data back.
	c.must("exec", "--", "sed", "-i", "s/--snapshot-count=10000/--snapshot-count=10001/", "/etc/kubernetes/manifests/etcd.yaml")
	eventually(t, time.Minute, "etcd restarted from the edited manifest", func() error {
		return c.runErr("exec", "--", "bash", "-c", "crictl ps --name etcd -q | grep -vx "+after["etcd"])
	})
	r = c.run("reset")
	if r.code != 0 || !strings.Contains(r.stderr, "Putting back etcd's data and the manifests") {
		t.Fatalf("ckat reset after etcd.yaml changed: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if got := c.must("exec", "--", "cat", "/etc/kubernetes/manifests/etcd.yaml"); got != baselineEtcd {
		t.Errorf("etcd.yaml after ckat reset differs from setup's:\n%s", got)
	}
	if rep := c.grade(1); rep.Score != 0 {
		t.Errorf("after the second ckat reset: %d/%d, want 0", rep.Score, rep.MaxScore)
	}
}
