package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// criContainer is the part of `crictl ps -o json` the test reads.
type criContainer struct {
	ID       string `json:"id"`
	State    string `json:"state"`
	Metadata struct {
		Name    string `json:"name"`
		Attempt int    `json:"attempt"`
	} `json:"metadata"`
}

// TestCrictlOnStaticPods runs the node's crictl against the static pods:
// ps shows etcd and kube-apiserver running under the IDs their mirror
// pods report, stop makes the kubelet start etcd again under a new ID
// with one more restart, logs prints etcd's lines, each container's log
// is linked in /var/log/containers, and pull and exec say clearly that
// ckat does not do them.
func TestCrictlOnStaticPods(t *testing.T) {
	c := newCkat(t)
	c.must("lab", "create", "cri")
	crictl := func(args ...string) result {
		return c.run(append([]string{"exec", "--lab", "cri", "--", "crictl"}, args...)...)
	}
	running := func() map[string]criContainer {
		t.Helper()
		r := crictl("ps", "-o", "json")
		if r.code != 0 {
			t.Fatalf("crictl ps -o json: exit %d: %s", r.code, r.stderr)
		}
		var list struct{ Containers []criContainer }
		if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
			t.Fatalf("crictl ps -o json: %v\n%s", err, r.stdout)
		}
		out := map[string]criContainer{}
		for _, ctr := range list.Containers {
			if ctr.State == "CONTAINER_RUNNING" {
				out[ctr.Metadata.Name] = ctr
			}
		}
		return out
	}
	// mirrorsAgree waits until every running container's mirror pod
	// reports it as containerd://ID with restarts restarts.
	ctx := context.Background()
	mirrorsAgree := func(restarts map[string]int32) map[string]criContainer {
		t.Helper()
		var now map[string]criContainer
		eventually(t, 90*time.Second, "crictl ps and the mirror pods agree", func() error {
			now = running()
			for name, want := range restarts {
				ctr, ok := now[name]
				if !ok {
					return fmt.Errorf("%s is not running: %v", name, now)
				}
				pod, err := c.client("cri").CoreV1().Pods("kube-system").Get(ctx, name+"-controlplane", metav1.GetOptions{})
				if err != nil {
					return err
				}
				if len(pod.Status.ContainerStatuses) != 1 {
					return fmt.Errorf("mirror pod %s: %d container statuses", pod.Name, len(pod.Status.ContainerStatuses))
				}
				cs := pod.Status.ContainerStatuses[0]
				if cs.ContainerID != "containerd://"+ctr.ID || cs.RestartCount != want || cs.State.Running == nil {
					return fmt.Errorf("mirror pod %s: containerID %q, restarts %d, state %+v; crictl ps: %s, want %d restarts", pod.Name, cs.ContainerID, cs.RestartCount, cs.State, ctr.ID, want)
				}
			}
			return nil
		})
		return now
	}
	before := mirrorsAgree(map[string]int32{"etcd": 0, "kube-apiserver": 0})

	table := crictl("ps")
	if table.code != 0 {
		t.Fatalf("crictl ps: exit %d: %s", table.code, table.stderr)
	}
	for _, name := range []string{"etcd", "kube-apiserver"} {
		row := ""
		for _, line := range strings.Split(table.stdout, "\n") {
			if strings.HasPrefix(line, before[name].ID[:13]) {
				row = line
			}
		}
		if f := strings.Fields(row); len(f) < 9 || !strings.Contains(row, " Running ") || !strings.Contains(row, " "+name+" ") || f[len(f)-2] != name+"-controlplane" {
			t.Errorf("crictl ps: no Running row for %s (%s):\n%s", name, before[name].ID[:13], table.stdout)
		}
	}

	stop := crictl("stop", before["etcd"].ID[:13])
	if stop.code != 0 || strings.TrimSpace(stop.stdout) != before["etcd"].ID[:13] {
		t.Fatalf("crictl stop: exit %d\nstdout: %s\nstderr: %s", stop.code, stop.stdout, stop.stderr)
	}
	after := mirrorsAgree(map[string]int32{"etcd": 1, "kube-apiserver": 0})
	if after["etcd"].ID == before["etcd"].ID || after["etcd"].Metadata.Attempt != 1 {
		t.Errorf("after crictl stop, etcd is %+v; want a new ID and attempt 1 (before: %s)", after["etcd"], before["etcd"].ID)
	}
	exited := crictl("ps", "-a", "--name", "etcd", "-q")
	if !strings.Contains(exited.stdout, before["etcd"].ID) {
		t.Errorf("crictl ps -a does not list the stopped etcd %s:\n%s", before["etcd"].ID, exited.stdout)
	}
	inspect := crictl("inspect", before["etcd"].ID)
	if inspect.code != 0 || !strings.Contains(inspect.stdout, `"state": "CONTAINER_EXITED"`) || !strings.Contains(inspect.stdout, `"exitCode": 137`) {
		t.Errorf("crictl inspect of the stopped etcd: exit %d\n%s%s", inspect.code, inspect.stdout, inspect.stderr)
	}

	eventually(t, 30*time.Second, "crictl logs --tail 5 shows etcd's log", func() error {
		r := crictl("logs", "--tail", "5", after["etcd"].ID)
		lines := strings.Split(strings.TrimRight(r.stdout+r.stderr, "\n"), "\n")
		if r.code != 0 || len(lines) != 5 || !strings.Contains(lines[4], `"level":`) {
			return fmt.Errorf("exit %d, %d lines:\n%s", r.code, len(lines), r.stdout+r.stderr)
		}
		return nil
	})

	links := c.must("exec", "--lab", "cri", "--", "ls", "/var/log/containers")
	if !strings.Contains(links, "etcd-controlplane_kube-system_etcd-"+after["etcd"].ID+".log") {
		t.Errorf("/var/log/containers has no link for etcd %s:\n%s", after["etcd"].ID, links)
	}

	pull := crictl("pull", "nginx")
	if pull.code == 0 || !strings.Contains(pull.stderr, "Unimplemented") || !strings.Contains(pull.stderr, "pulling an image: ckat's node runs the kubelet's static pods as plain processes") {
		t.Errorf("crictl pull nginx: exit %d\nstdout: %s\nstderr: %s", pull.code, pull.stdout, pull.stderr)
	}
	execIn := crictl("exec", after["etcd"].ID, "sh")
	if execIn.code == 0 || !strings.Contains(execIn.stderr, "no image and no shell") {
		t.Errorf("crictl exec: exit %d\nstdout: %s\nstderr: %s", execIn.code, execIn.stdout, execIn.stderr)
	}
}
