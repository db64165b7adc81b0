package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/stretchr/testify/require"

	"github.com/ckat/ckat/internal/log"
)

// TestFileSource follows kubelet v1.37's file source through a learner's
// session (pkg/kubelet/config/file.go and file_linux.go; see fileSource):
// `cp etcd.yaml etcd.yaml.bak`, an edit of etcd.yaml, and the re-reads
// and changes that follow.
func TestFileSource(t *testing.T) {
	dir := t.TempDir()
	logs := &syncBuffer{}
	write := func(name, content string) {
		t.Helper()
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	oldEtcd, newEtcd := shellPod("etcd", "echo old data; exec sleep 1000"), shellPod("etcd", "echo restored data; exec sleep 1000")
	write("etcd.yaml", oldEtcd)
	src := newFileSource(dir, "controlplane", log.New(logs, 1))
	// runs is the file each running pod comes from, and its content.
	runs := func(want ...string) {
		t.Helper()
		var got []string
		for _, m := range src.running {
			content := "old"
			if m.Hash == contentHash([]byte(newEtcd)) {
				content = "new"
			}
			got = append(got, m.File+":"+content)
		}
		require.Equal(t, want, got)
	}
	// The directory's inotify events, as the agent's watch gets them.
	w, err := fsnotify.NewWatcher()
	require.NoError(t, err)
	t.Cleanup(func() { w.Close() })
	require.NoError(t, w.Add(dir))
	// pump consumes the events of what the test just did, one at a time
	// as the agent's loop does, and says whether the running pods may
	// have changed.
	pump := func() bool {
		t.Helper()
		changed := false
		for {
			select {
			case e := <-w.Events:
				changed = src.event(e) || changed
			case err := <-w.Errors:
				t.Fatal(err)
			case <-time.After(100 * time.Millisecond):
				return changed
			}
		}
	}

	require.True(t, src.list())
	runs("etcd.yaml:old")

	// `cp etcd.yaml etcd.yaml.bak`: a Create event puts the copy's pod in
	// the store in place of etcd.yaml's (another file: another pod UID).
	write("etcd.yaml.bak", oldEtcd)
	require.True(t, pump())
	runs("etcd.yaml.bak:old")
	require.False(t, pump(), "nothing changed since")

	// The edit of etcd.yaml is a Write event: its pod is the current one.
	write("etcd.yaml", newEtcd)
	require.True(t, pump())
	runs("etcd.yaml:new")

	// The next full re-read stores the pods in name order: the last file,
	// etcd.yaml.bak, wins, and etcd is back on the old data.
	require.True(t, src.list())
	runs("etcd.yaml.bak:old")
	require.False(t, src.list(), "every re-read gives the same winner")

	// touch etcd.yaml: a Chmod event makes it current until the re-read.
	now := time.Now()
	require.NoError(t, os.Chtimes(filepath.Join(dir, "etcd.yaml"), now, now))
	require.True(t, pump())
	runs("etcd.yaml:new")
	require.True(t, src.list())
	runs("etcd.yaml.bak:old")

	// Removing the backup deletes the pod it defined from the store, though
	// etcd.yaml defines it too: etcd stops until the next re-read.
	require.NoError(t, os.Remove(filepath.Join(dir, "etcd.yaml.bak")))
	require.True(t, pump())
	runs()
	require.True(t, src.list())
	runs("etcd.yaml:new")

	// An edit that breaks etcd.yaml changes nothing until the re-read,
	// which then finds no pod: nothing runs.
	write("etcd.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: etcd\nspec:\n  containers: []\n")
	require.False(t, pump())
	runs("etcd.yaml:new")
	require.Contains(t, logs.String(), `"Unable to process watch event" err="can't process config file \"`+filepath.Join(dir, "etcd.yaml")+`\": `)
	require.Contains(t, src.invalid, "etcd.yaml")
	require.True(t, src.list())
	runs()
	require.Contains(t, logs.String(), `"Could not process manifest file"`)

	// That re-read found no pod, so it kept its store (listConfig sends an
	// empty update without replaceStore): the next event brings the stale
	// etcd pod back with the new one, as on a real node.
	write("kube-apiserver.yaml", shellPod("kube-apiserver", "exec sleep 1000"))
	require.True(t, pump())
	runs("etcd.yaml:new", "kube-apiserver.yaml:old")
	require.True(t, src.list())
	runs("kube-apiserver.yaml:old")

	// Dotfiles are never read; a symlink's target changing is no event on
	// the directory, so only the re-read sees it.
	write(".etcd.yaml.swp", oldEtcd)
	require.False(t, pump())
	target := filepath.Join(t.TempDir(), "etcd.yaml")
	require.NoError(t, os.WriteFile(target, []byte(oldEtcd), 0o644))
	require.NoError(t, os.Symlink(target, filepath.Join(dir, "etcd-link.yaml")))
	require.True(t, pump())
	runs("etcd-link.yaml:old", "kube-apiserver.yaml:old")
	require.NoError(t, os.WriteFile(target, []byte(newEtcd), 0o644))
	require.False(t, pump())
	require.True(t, src.list())
	runs("etcd-link.yaml:new", "kube-apiserver.yaml:old")
	require.False(t, strings.Contains(logs.String(), ".etcd.yaml.swp"))

	// A new directory is an event the kubelet cannot read a pod from: it
	// logs it, and the directory is no invalid manifest either.
	require.NoError(t, os.Mkdir(filepath.Join(dir, "backup"), 0o755))
	require.False(t, pump())
	require.NotContains(t, src.invalid, "backup")
	require.Contains(t, logs.String(), `"Unable to process watch event" err="can't process config file \"`+filepath.Join(dir, "backup")+`\": read `+filepath.Join(dir, "backup")+`: is a directory"`)
}

// TestFileCheckFrequencyDefault: the re-read period is the kubelet's
// default --file-check-frequency unless a test sets it.
func TestFileCheckFrequencyDefault(t *testing.T) {
	require.Equal(t, 20*time.Second, Config{}.fileCheckFrequency())
	require.Equal(t, time.Second, Config{FileCheckFrequency: time.Second}.fileCheckFrequency())
}
