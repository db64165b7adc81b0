package session

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ckat/ckat/labs/local/kubeadm"
)

// etcdServesDataDir says yes only while the one etcd on the node holds
// the data directory's own member/snap/db, the one recorded: not after
// the directory was moved, symlinked or replaced under it, nor once etcd
// runs on a new directory at the same path. Each case runs in a PID namespace
// of its own, where the only processes are the script's, as on a node.
func TestEtcdServesDataDir(t *testing.T) {
	// A stand-in for etcd: a process named etcd holding the db open.
	const etcd = `bash -c 'exec 3<"$0"; exec -a etcd sleep 30' "$db" & sleep 0.3` + "\n"
	cases := map[string]struct {
		script string
		serves bool
	}{
		"etcd on its directory":              {etcd, true},
		"no etcd":                            {"", false},
		"two etcds":                          {etcd + etcd, false},
		"directory moved and symlinked":      {etcd + `mv "$dir" "$dir-old"; ln -s "$dir-old" "$dir"` + "\n", false},
		"db replaced under etcd":             {etcd + `rm "$db"; echo new > "$db"` + "\n", false},
		"directory moved, an empty one made": {etcd + `mv "$dir" "$dir-old"; mkdir -p "$dir/member/snap"; echo x > "$db"` + "\n", false},
		// A restore into the same path, etcd started on it again.
		"etcd running on a restore at the same path": {`mv "$dir" "$dir-old"; mkdir -p "$dir/member/snap"; echo x > "$db"` + "\n" + etcd, false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "etcd")
			require.NoError(t, os.MkdirAll(filepath.Join(dir, "member/snap"), 0o700))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "member/snap/db"), []byte("bolt"), 0o600))
			db := filepath.Join(dir, "member/snap/db")
			id, err := exec.Command("bash", "-c", "db="+shellQuote(db)+"\n"+etcdDBIdentity).Output()
			require.NoError(t, err)
			script := "dir=" + shellQuote(dir) + "\ndb=\"$dir/member/snap/db\"\n" + c.script + etcdServesDataDir(dir, strings.TrimSpace(string(id)))
			cmd := exec.Command("unshare", "--user", "--map-root-user", "--pid", "--fork", "--mount-proc", "bash", "-c", script)
			out, err := cmd.CombinedOutput()
			if c.serves {
				require.NoError(t, err, "%s", out)
				return
			}
			var ee *exec.ExitError
			require.ErrorAs(t, err, &ee, "%s", out)
		})
	}
}

// planInPlace takes out and puts back kube-controller-manager's and
// kube-scheduler's manifests always, the API server's only when a file
// of its pod changed, and never etcd's.
func TestPlanInPlace(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, kubeadm.Generate(root, kubeadm.Config{NodeName: "controlplane", NodeIP: "172.30.7.10"}))
	mdir := filepath.Join(root, "etc/kubernetes/manifests")
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(mdir, name))
		require.NoError(t, err)
		return data
	}
	baseline := map[string][]byte{}
	for _, n := range []string{"etcd.yaml", "kube-apiserver.yaml", "kube-controller-manager.yaml", "kube-scheduler.yaml"} {
		baseline[n] = read(n)
	}
	edited := func(data []byte) []byte { return append(append([]byte{}, data...), []byte("\n# edited\n")...) }
	cases := map[string]struct {
		current          map[string][]byte
		ok               bool
		takeOut, putBack []string
		apiServer        bool
	}{
		"as setup left them": {
			current: baseline, ok: true,
			takeOut: []string{"kube-controller-manager.yaml", "kube-scheduler.yaml"},
			putBack: []string{"kube-controller-manager.yaml", "kube-scheduler.yaml"},
		},
		"API server's manifest edited": {
			current: with(baseline, "kube-apiserver.yaml", edited(baseline["kube-apiserver.yaml"])), ok: true,
			takeOut:   []string{"kube-apiserver.yaml", "kube-controller-manager.yaml", "kube-scheduler.yaml"},
			putBack:   []string{"kube-apiserver.yaml", "kube-controller-manager.yaml", "kube-scheduler.yaml"},
			apiServer: true,
		},
		"a copy of the API server's manifest left beside it": {
			current: with(baseline, "kube-apiserver.yaml.bak", baseline["kube-apiserver.yaml"]), ok: true,
			takeOut:   []string{"kube-apiserver.yaml", "kube-apiserver.yaml.bak", "kube-controller-manager.yaml", "kube-scheduler.yaml"},
			putBack:   []string{"kube-apiserver.yaml", "kube-controller-manager.yaml", "kube-scheduler.yaml"},
			apiServer: true,
		},
		"scheduler's manifest moved out, a note left": {
			current: with(with(baseline, "kube-scheduler.yaml", nil), "notes.txt", []byte("not a pod")), ok: true,
			takeOut: []string{"kube-controller-manager.yaml", "notes.txt"},
			putBack: []string{"kube-controller-manager.yaml", "kube-scheduler.yaml"},
		},
		"etcd's manifest edited":           {current: with(baseline, "etcd.yaml", edited(baseline["etcd.yaml"]))},
		"a copy of etcd's manifest left":   {current: with(baseline, "etcd.yaml.bak", baseline["etcd.yaml"])},
		"etcd's manifest moved out":        {current: with(baseline, "etcd.yaml", nil)},
		"a pod of the learner's runs etcd": {current: with(baseline, "mine.yaml", []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: mine}\nspec: {containers: [{name: e, command: [etcd]}]}\n"))},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			plan, ok := planStaticPods(c.current, baseline)
			require.Equal(t, c.ok, ok)
			if !ok {
				return
			}
			require.Equal(t, c.takeOut, plan.takeOut)
			require.Equal(t, c.putBack, plan.putBack)
			require.Equal(t, c.apiServer, plan.apiServer)
		})
	}
}

// with returns a copy of files with name set to data, or removed for nil.
func with(files map[string][]byte, name string, data []byte) map[string][]byte {
	out := map[string][]byte{}
	for n, d := range files {
		out[n] = d
	}
	if data == nil {
		delete(out, name)
	} else {
		out[name] = data
	}
	return out
}
