package kind

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckat/ckat/labs"
)

func TestHostPathCopiesDirectory(t *testing.T) {
	root := nodeTree(t)
	r := &hostRunner{}
	n := &Node{name: "n", runner: r}
	host, release, err := n.HostPath(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(host) != "etc dir" {
		t.Errorf("copy at %s, want a path ending in the node's base name", host)
	}
	for _, name := range hostileNames {
		data, err := os.ReadFile(filepath.Join(host, name))
		if err != nil || string(data) != "content of "+name {
			t.Errorf("copy of %q: %q, %v", name, data, err)
		}
		fi, _ := os.Stat(filepath.Join(host, name))
		if fi != nil && fi.Mode().Perm() != 0o640 {
			t.Errorf("copy of %q has mode %s, want 0640", name, fi.Mode())
		}
	}
	if target, err := os.Readlink(filepath.Join(host, "link")); err != nil || target != "plain" {
		t.Errorf("symlink copied as %q, %v", target, err)
	}
	if fi, err := os.Stat(filepath.Join(host, "sub")); err != nil || !fi.IsDir() {
		t.Errorf("sub: %v", err)
	}
	want := []string{
		fmt.Sprintf("%q", []string{"readlink", "-e", "-v", "--", root}),
		fmt.Sprintf("%q", []string{"tar", "-C", filepath.Dir(root) + "/", "-cf", "-", "./etc dir"}),
	}
	if got := r.commands(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("commands\n%v\nwant\n%v", got, want)
	}
	release()
	if _, err := os.Stat(filepath.Dir(host)); !os.IsNotExist(err) {
		t.Errorf("release left %s: %v", filepath.Dir(host), err)
	}
}

func TestHostPathCopiesFileThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshot.db")
	data := bytes.Repeat([]byte("etcd"), 300000)
	if err := os.WriteFile(snap, data, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "latest")
	if err := os.Symlink("snapshot.db", link); err != nil {
		t.Fatal(err)
	}
	n := &Node{name: "n", runner: &hostRunner{}}
	host, release, err := n.HostPath(context.Background(), link)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	got, err := os.ReadFile(host)
	if err != nil || !bytes.Equal(got, data) || filepath.Base(host) != "snapshot.db" {
		t.Errorf("copy %s: %d bytes, %v; want the %d bytes of snapshot.db", host, len(got), err, len(data))
	}
}

type entry struct {
	name, link string
	typ        byte
	body       string
}

func archive(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: 0o644, Size: int64(len(e.body))}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			_, _ = tw.Write([]byte(e.body))
		}
	}
	_ = tw.Close()
	return buf.Bytes()
}

func TestExtractTarRefusesEscapes(t *testing.T) {
	tests := []struct {
		name    string
		entries []entry
		want    string
	}{
		{"parent dir", []entry{{name: "./data/../../evil", typ: tar.TypeReg, body: "x"}}, "leaves the copy"},
		{"absolute", []entry{{name: "/tmp/evil", typ: tar.TypeReg, body: "x"}}, "is absolute"},
		{"outside top", []entry{{name: "./other", typ: tar.TypeReg, body: "x"}}, `is not under "data"`},
		{"through a symlink", []entry{
			{name: "./data", typ: tar.TypeDir},
			{name: "./data/l", typ: tar.TypeSymlink, link: "/tmp"},
			{name: "./data/l/evil", typ: tar.TypeReg, body: "x"},
		}, `lies under the symlink "data/l"`},
		{"hard link out", []entry{
			{name: "./data", typ: tar.TypeDir},
			{name: "./data/h", typ: tar.TypeLink, link: "../../etc/passwd"},
		}, "leaves the copy"},
		{"empty", nil, "the archive was empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			dest := filepath.Join(parent, "dest")
			if err := os.Mkdir(dest, 0o700); err != nil {
				t.Fatal(err)
			}
			err := extractTar(bytes.NewReader(archive(t, tt.entries...)), dest, "data")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if _, err := os.Stat(filepath.Join(parent, "evil")); err == nil {
				t.Error("a file was written outside the copy")
			}
		})
	}
}

func TestExtractTarHardLinkInside(t *testing.T) {
	dest := t.TempDir()
	err := extractTar(bytes.NewReader(archive(t,
		entry{name: "./data", typ: tar.TypeDir},
		entry{name: "./data/a", typ: tar.TypeReg, body: "same"},
		entry{name: "./data/b", typ: tar.TypeLink, link: "./data/a"},
		entry{name: "./data/fifo", typ: tar.TypeFifo},
	)), dest, "data")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dest, "data", "b")); err != nil || string(b) != "same" {
		t.Errorf("hard link: %q, %v", b, err)
	}
	if _, err := os.Lstat(filepath.Join(dest, "data", "fifo")); !os.IsNotExist(err) {
		t.Errorf("fifo was made: %v", err)
	}
}

func TestHostPathToleratesFilesChangingDuringCopy(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "member")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "db"), []byte("bolt"), 0o600); err != nil {
		t.Fatal(err)
	}
	// tar on the node exits 1 after a complete archive when a file
	// changed while it read; the copy stands.
	n := &Node{name: "n", runner: tarExits1(&hostRunner{})}
	host, release, err := n.HostPath(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if b, err := os.ReadFile(filepath.Join(host, "db")); err != nil || string(b) != "bolt" {
		t.Errorf("db: %q, %v", b, err)
	}
	// Exit status 2 is tar's fatal error: no copy.
	n = &Node{name: "n", runner: tarExits{&hostRunner{}, 2}}
	if _, _, err := n.HostPath(context.Background(), dir); err == nil || !strings.Contains(err.Error(), "exit status 2") {
		t.Errorf("HostPath with tar failing: %v", err)
	}
}

// tarExits runs tar for real, then reports the given exit status, as GNU
// tar does when files change under it (1) or on a fatal error (2).
type tarExits struct {
	*hostRunner
	code int
}

func tarExits1(h *hostRunner) tarExits { return tarExits{h, 1} }

func (r tarExits) run(ctx context.Context, cmd labs.Command) error {
	err := r.hostRunner.run(ctx, cmd)
	if err == nil && cmd.Args[0] == "tar" {
		return &labs.ExitError{Args: cmd.Args, Code: r.code}
	}
	return err
}
