package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ckat/ckat/labs"
)

// TestLabLifecycle runs one lab through its life: create, a refused
// duplicate, stop (no process left), start with its data, kill -9 of its
// PID 1 (dead), start again with its data, and delete (no process left),
// which does not follow a symlink the learner made on the node to a file
// outside.
func TestLabLifecycle(t *testing.T) {
	c := newCkat(t)
	ctx := context.Background()
	r := c.run("lab", "create", "life")
	if r.code != 0 {
		t.Fatalf("ckat lab create life: exit %d: %s", r.code, r.stderr)
	}
	for _, step := range []string{"✓ Writing certificates and manifests", "✓ Starting node", "✓ Waiting for the API server"} {
		if !strings.Contains(r.stderr, step) {
			t.Errorf("ckat lab create printed\n%s\nwant a line %q", r.stderr, step)
		}
	}
	st := c.state("life")
	if s := c.statuses()["life"]; s.State != labs.StateRunning || s.APIServer != fmt.Sprintf("https://127.0.0.1:%d", st.APIPort) || s.Node != "controlplane" || s.NodeIP != st.NodeIP {
		t.Errorf("ckat labs: %+v, want running at port %d on node IP %s", s, st.APIPort, st.NodeIP)
	}

	dup := c.run("lab", "create", "life")
	wantDup := `ckat: lab "life" already exists: delete it with 'ckat delete --lab life'` + "\n"
	if dup.code != 1 || dup.stderr != wantDup {
		t.Errorf("second ckat lab create life: exit %d, stderr %q; want exit 1, %q", dup.code, dup.stderr, wantDup)
	}
	if s := c.statuses()["life"]; s.State != labs.StateRunning {
		t.Fatalf("after a refused duplicate create the lab is %s, want running", s.State)
	}

	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "keep-me"}, Data: map[string]string{"k": "v"}}
	if _, err := c.client("life").CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	keptObject := func(when string) {
		t.Helper()
		if _, err := c.client("life").CoreV1().ConfigMaps("default").Get(ctx, "keep-me", metav1.GetOptions{}); err != nil {
			t.Errorf("%s: configmap keep-me: %v", when, err)
		}
	}

	t.Run("stop leaves no process", func(t *testing.T) {
		ns := pidNamespace(t, st.PID)
		if n := len(nsProcesses(ns)); n < 3 {
			t.Fatalf("running lab has %d processes in its PID namespace, want PID 1, the agent, etcd and kube-apiserver", n)
		}
		c.must("lab", "stop", "life")
		if left := nsProcesses(ns); len(left) > 0 {
			t.Errorf("after ckat lab stop, processes %v are left in the lab's PID namespace", left)
		}
		if s := c.statuses()["life"]; s.State != labs.StateStopped {
			t.Errorf("ckat labs says %s after stop, want stopped", s.State)
		}
		const notRunning = `ckat: lab "life" is not running: start it with 'ckat lab start life'` + "\n"
		for _, args := range [][]string{{"kubeconfig", "--lab", "life"}, {"exec", "--lab", "life", "--", "true"}} {
			if r := c.run(args...); r.code != 1 || r.stderr != notRunning {
				t.Errorf("ckat %v on a stopped lab: exit %d, %q; want exit 1, %q", args, r.code, r.stderr, notRunning)
			}
		}
		// Two starts at once: one starts the node, the other finds it running.
		var wg sync.WaitGroup
		starts := make([]result, 2)
		for i := range starts {
			wg.Add(1)
			go func() { defer wg.Done(); starts[i] = c.run("lab", "start", "life") }()
		}
		wg.Wait()
		for _, r := range starts {
			if r.code != 0 {
				t.Errorf("concurrent ckat lab start: exit %d: %s", r.code, r.stderr)
			}
		}
		if nodes := processesMentioning("__node\x00" + c.labDir("life")); len(nodes) != 1 {
			t.Errorf("after two concurrent starts the lab has %d nodes: %v", len(nodes), nodes)
		}
		keptObject("after stop and start")
	})

	t.Run("killed lab is dead and starts again", func(t *testing.T) {
		c.must("exec", "--lab", "life", "--", "mv", "/etc/kubernetes/manifests/kube-apiserver.yaml", "/tmp/")
		pid := c.state("life").PID
		ns := pidNamespace(t, pid)
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "the killed lab's processes to go", func() error {
			if left := nsProcesses(ns); len(left) > 0 {
				return fmt.Errorf("left: %v", left)
			}
			return nil
		})
		table := c.must("lab", "list")
		if !strings.Contains(table, "dead") || !strings.Contains(table, "its data is kept: start it with 'ckat lab start life'") {
			t.Errorf("ckat lab list after kill -9:\n%s\nwant the lab dead, with how to start it", table)
		}
		// Killed mid-task, with the API server's manifest moved out: the
		// lab starts without waiting for an API server that cannot come.
		r := c.run("lab", "start", "life")
		if r.code != 0 || !strings.Contains(r.stderr, "/etc/kubernetes/manifests/kube-apiserver.yaml is not there: not waiting for the API server") {
			t.Errorf("ckat lab start with the API server's manifest moved out: exit %d\n%s", r.code, r.stderr)
		}
		if s := c.statuses()["life"]; s.State != labs.StateRunning {
			t.Errorf("after ckat lab start the lab is %s", s.State)
		}
		c.must("exec", "--lab", "life", "--", "mv", "/tmp/kube-apiserver.yaml", "/etc/kubernetes/manifests/")
		eventually(t, 2*time.Minute, "the API server back after kill -9 and start", func() error {
			_, err := c.client("life").CoreV1().ConfigMaps("default").Get(ctx, "keep-me", metav1.GetOptions{})
			return err
		})
	})

	t.Run("start sets a scenario up on a lab made by lab create", func(t *testing.T) {
		out := c.must("start", "etcd-backup", "--lab", "life", "--seed", "5")
		if !strings.Contains(out, `Scenario etcd-backup is set up on lab "life" (seed 5).`) || !strings.Contains(out, "Create a snapshot of the etcd instance") {
			t.Errorf("ckat start on a lab without a scenario:\n%s", out)
		}
		if task := c.must("task", "--lab", "life", "-o", "json"); !strings.Contains(task, `"scenario": "etcd-backup"`) {
			t.Errorf("ckat task -o json after ckat start --lab life:\n%s", task)
		}
	})

	t.Run("delete does not follow symlinks out of the lab", func(t *testing.T) {
		outside := t.TempDir()
		file := filepath.Join(outside, "precious.txt")
		if err := os.WriteFile(file, []byte("keep"), 0o644); err != nil {
			t.Fatal(err)
		}
		// On the node, /root is the lab's node/root: links made there are in
		// the lab directory and point at host paths.
		c.must("exec", "--lab", "life", "--", "ln", "-s", file, "/root/file-link")
		c.must("exec", "--lab", "life", "--", "ln", "-s", outside, "/root/dir-link")
		if links := linksTo(t, c.labDir("life"), file, outside); len(links) != 2 {
			t.Fatalf("found the node's links in the lab directory at %v, want both", links)
		}
		ns := pidNamespace(t, c.state("life").PID)
		if n := len(nsProcesses(ns)); n < 3 {
			t.Fatalf("running lab has %d processes in its PID namespace before delete", n)
		}
		c.must("lab", "delete", "life")
		if left := nsProcesses(ns); len(left) > 0 {
			t.Errorf("after ckat lab delete, processes %v are left in the lab's PID namespace", left)
		}
		if data, err := os.ReadFile(file); err != nil || string(data) != "keep" {
			t.Errorf("file outside the lab after delete: %q, %v", data, err)
		}
		if _, err := os.Lstat(c.labDir("life")); !os.IsNotExist(err) {
			t.Errorf("lab directory after delete: %v, want it gone", err)
		}
		if _, ok := c.statuses()["life"]; ok {
			t.Error("ckat lab list still lists the deleted lab")
		}
	})
}

// linksTo returns the symlinks under dir that point at one of targets.
func linksTo(t *testing.T, dir string, targets ...string) []string {
	var found []string
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.Type()&os.ModeSymlink == 0 {
			return nil
		}
		if dest, err := os.Readlink(path); err == nil {
			for _, target := range targets {
				if dest == target {
					found = append(found, path)
				}
			}
		}
		return nil
	})
	return found
}
