package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/ckat/ckat/internal/kubeadm"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/scenarios/steps"
)

// inPlacePlan is how resetInPlace puts a lab's static pods back.
type inPlacePlan struct {
	// takeOut are the files to remove from the manifest directory, so that
	// the node stops their pods; putBack are the baseline's files to write
	// back once they have stopped.
	takeOut, putBack []string
	// commands are the commands of the pods that stop.
	commands map[string]bool
	// apiServer says the API server is one of them.
	apiServer bool
}

// resetInPlace puts a lab back as resetFromCopy does, with etcd left
// running when it can be: etcd runs from the baseline's etcd.yaml and
// serves the node's /var/lib/etcd, still the directory it bootstrapped
// (or the full reset's copy of it: no restore or copy replaced it), and
// the kubelet runs from its baseline files. Then the keys setup made and
// the learner changed are put back through etcd (rewindKeyspace), at a
// newer revision, which every watcher sees as a write;
// kube-controller-manager, kube-scheduler and any static pod whose
// manifest changed are stopped first and started again from the baseline
// manifests, so that none acts on the state in between; the API server
// keeps running, and keeps its watch cache, unless its manifest changed.
// A reset then costs no start of etcd and mostly none of the API server,
// the control plane's slowest start.
//
// It returns false, having changed nothing the full reset does not put
// back, when the lab is not in such a state (etcd's manifest or data
// directory changed, the kubelet's files changed, a baseline from an
// earlier version without keyspace.pb) or etcd cannot be reached.
func (s *Session) resetInPlace(ctx context.Context, dir, mdir string, b baseline) (bool, error) {
	data, err := os.ReadFile(filepath.Join(dir, baselineDir, keyspaceFile))
	if err != nil {
		return false, nil
	}
	base, err := decodeKeyspace(data)
	if err != nil {
		return false, nil
	}
	id, err := os.ReadFile(filepath.Join(dir, baselineDir, etcdDBFile))
	if err != nil {
		return false, nil
	}
	plan, ok, err := s.planInPlace(ctx, mdir)
	if err != nil || !ok {
		return false, err
	}
	node := s.Lab.Node()
	var check strings.Builder
	checkKubeletFiles(&check)
	check.WriteString(etcdServesDataDir(kubeadm.EtcdDataDir, string(id)))
	if err := node.Exec(ctx, labs.Command{Args: []string{"bash", "-c", check.String()}}); err != nil {
		var ee *labs.ExitError
		if errors.As(err, &ee) {
			return false, nil
		}
		return false, err
	}

	running := "etcd and the API server keep running"
	if plan.apiServer {
		running = "etcd keeps running"
	}
	s.Logger.V(0).Infof("Putting back the objects and the manifests (%s) ...", running)
	script := s.clearScript(b)
	for _, f := range plan.takeOut {
		fmt.Fprintf(script, "rm -f %s\n", shellQuote(path.Join(kubeadm.ManifestsDir, f)))
	}
	if err := steps.Run(ctx, node, script.String()); err != nil {
		return false, err
	}
	if err := waitExited(ctx, node, plan.commands, stopTimeout); err != nil {
		return false, err
	}
	n, err := rewindKeyspace(ctx, node, base)
	if err != nil {
		s.Logger.Warnf("putting the objects back through etcd: %v; putting back etcd's data instead", err)
		return false, nil
	}
	s.Logger.V(1).Infof("Put back %d keys; starting %s again", n, strings.Join(plan.putBack, ", "))
	if err := s.writeManifests(ctx, mdir, plan.putBack); err != nil {
		return true, err
	}
	return true, s.waitAsSetupLeft(ctx, b)
}

// planInPlace reads the node's manifests and the baseline's (in mdir)
// and plans what to take out and put back (planStaticPods).
func (s *Session) planInPlace(ctx context.Context, mdir string) (inPlacePlan, bool, error) {
	current, err := s.currentManifests(ctx)
	if err != nil {
		return inPlacePlan{}, false, err
	}
	baseline := map[string][]byte{}
	files, err := os.ReadDir(mdir)
	if err != nil {
		return inPlacePlan{}, false, err
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(mdir, f.Name()))
		if err != nil {
			return inPlacePlan{}, false, err
		}
		baseline[f.Name()] = data
	}
	plan, ok := planStaticPods(current, baseline)
	return plan, ok, nil
}

// planStaticPods compares the manifest directory's files now with the
// baseline's, by name, and says which to take out and put back: every
// file that differs, every file of a pod one of those defines (the kubelet
// knows a static pod by its name, whichever file defines it), and
// kube-controller-manager's and kube-scheduler's, whose processes keep
// what they read when they started; but never etcd's. ok is false when
// etcd's pod or a process running etcd would have to stop.
func planStaticPods(current, baseline map[string][]byte) (plan inPlacePlan, ok bool) {
	etcdPod := podNames(baseline[path.Base(kubeadm.EtcdManifest)])
	apiPod := podNames(baseline[path.Base(kubeadm.APIServerManifest)])
	if len(etcdPod) != 1 {
		return plan, false
	}
	names := map[string]bool{}
	for n := range current {
		names[n] = true
	}
	for n := range baseline {
		names[n] = true
	}
	restart := map[string]bool{}
	changed := map[string]bool{}
	for n := range names {
		now, was := current[n], baseline[n]
		if now != nil && was != nil && string(now) == string(was) {
			continue
		}
		changed[n] = true
		for _, p := range append(podNames(now), podNames(was)...) {
			restart[p] = true
		}
	}
	for _, data := range baseline {
		for _, p := range podNames(data) {
			if p != etcdPod[0] && (len(apiPod) == 0 || p != apiPod[0]) {
				restart[p] = true
			}
		}
	}
	if restart[etcdPod[0]] {
		return plan, false
	}
	plan.commands = map[string]bool{}
	for n := range names {
		stops := changed[n]
		for _, p := range append(podNames(current[n]), podNames(baseline[n])...) {
			stops = stops || restart[p]
		}
		if !stops {
			continue
		}
		if current[n] != nil {
			plan.takeOut = append(plan.takeOut, n)
		}
		if baseline[n] != nil {
			plan.putBack = append(plan.putBack, n)
		}
		addCommands(plan.commands, current[n])
		addCommands(plan.commands, baseline[n])
	}
	if plan.commands[kubeadm.Etcd] {
		return plan, false
	}
	plan.apiServer = len(apiPod) == 1 && restart[apiPod[0]]
	sort.Strings(plan.takeOut)
	sort.Strings(plan.putBack)
	return plan, true
}

// podNames returns the namespace/name of the pod a manifest defines, none
// for a file that is not one.
func podNames(manifest []byte) []string {
	if manifest == nil {
		return nil
	}
	var pod corev1.Pod
	if yaml.Unmarshal(manifest, &pod) != nil || pod.Name == "" {
		return nil
	}
	ns := pod.Namespace
	if ns == "" {
		ns = "default"
	}
	return []string{ns + "/" + pod.Name}
}

// etcdServesDataDir returns a script that exits non-zero unless exactly
// one etcd process runs on the node, it has dataDir/member/snap/db open, that
// path goes through no symlink, and none of the files it holds open has
// been deleted: a learner who moved, replaced or symlinked the directory
// under a running etcd (or whose scenario's cleanup paths held it) leaves
// it serving files the directory no longer holds. When unsure it says no,
// which only costs a full reset.
func etcdServesDataDir(dataDir, id string) string {
	return fmt.Sprintf(`db=%s/member/snap/db
[ "$(realpath -e "$db")" = "$db" ] || exit 1
[ "$(%s)" = %s ] || exit 1
n=0 found=
for d in /proc/[0-9]*; do
  IFS= read -r -d '' a < "$d/cmdline" 2>/dev/null || continue
  [ "${a##*/}" = etcd ] || continue
  n=$((n + 1))
  ls -l "$d/fd/" | grep -q ' (deleted)$' && exit 1
  for fd in "$d"/fd/*; do
    [ "$fd" -ef "$db" ] && found=1
  done
done
[ "$n" -eq 1 ] && [ -n "$found" ]
`, shellQuote(dataDir), etcdDBIdentity, shellQuote(id))
}

// etcdDBIdentity prints the identity of the file at $db: its device,
// inode and birth time. etcd writes its db file when it bootstraps a
// member and keeps it (a defragmentation replaces it), and a restore or
// a copy writes a new one: the same identity says the node's data
// directory is still the one etcd bootstrapped, or that a full reset
// copied back.
const etcdDBIdentity = `stat -c %d:%i:%W "$db"`

// etcdDBFile is where the host keeps, in the lab's baseline directory,
// the identity of the db file of the data directory etcd runs on.
const etcdDBFile = "etcd-db.id"

// recordEtcdDB records the identity (etcdDBIdentity) of the node's
// etcd db file in the lab's directory dir; without it, the next reset is
// a full one.
func (s *Session) recordEtcdDB(ctx context.Context, dir string) {
	file := filepath.Join(dir, baselineDir, etcdDBFile)
	var out strings.Builder
	err := s.Lab.Node().Exec(ctx, labs.Command{
		Args:   []string{"bash", "-c", "db=" + shellQuote(kubeadm.EtcdDataDir+"/member/snap/db") + "\n" + etcdDBIdentity},
		Stdout: &out,
	})
	if err == nil {
		err = os.WriteFile(file, []byte(strings.TrimSpace(out.String())), 0o600)
	}
	if err != nil {
		_ = os.Remove(file)
		s.Logger.V(1).Infof("Not recording etcd's data directory for a reset in place: %v", err)
	}
}
