package kind

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
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
			{name: "./data/sub", typ: tar.TypeDir},
			{name: "./data/l", typ: tar.TypeSymlink, link: "sub"},
			{name: "./data/l/evil", typ: tar.TypeReg, body: "x"},
		}, `lies under the symlink "data/l"`},
		{"name with ../", []entry{
			{name: "./data", typ: tar.TypeDir},
			{name: "./data/sub/../../../evil", typ: tar.TypeReg, body: "x"},
		}, `archive entry "./data/sub/../../../evil" leaves the copy`},
		{"hard link out", []entry{
			{name: "./data", typ: tar.TypeDir},
			{name: "./data/h", typ: tar.TypeLink, link: "../../etc/passwd"},
		}, "leaves the copy"},
		{"symlink absolute", []entry{
			{name: "./data", typ: tar.TypeDir},
			{name: "./data/x/y", typ: tar.TypeSymlink, link: "/etc/passwd"},
		}, `archive entry "./data/x/y": symlink to "/etc/passwd" leaves the copied directory`},
		{"symlink ../../ out", []entry{
			{name: "./data", typ: tar.TypeDir},
			{name: "./data/l", typ: tar.TypeSymlink, link: "../../evil"},
		}, `archive entry "./data/l": symlink to "../../evil" leaves the copied directory`},
		{"symlink to dest itself", []entry{
			{name: "./data", typ: tar.TypeDir},
			{name: "./data/sub/l", typ: tar.TypeSymlink, link: "../.."},
		}, `symlink to "../.." leaves the copied directory`},
		{"symlink out through a later symlink", []entry{
			// "x/up/../.." reads as data, but x/up is "..", so the host
			// resolves it to dest's parent.
			{name: "./data", typ: tar.TypeDir},
			{name: "./data/x", typ: tar.TypeDir},
			{name: "./data/a", typ: tar.TypeSymlink, link: "x/up/../.."},
			{name: "./data/x/up", typ: tar.TypeSymlink, link: ".."},
		}, `archive entry "./data/a": symlink to "x/up/../.." leaves the copied directory`},
		{"symlink out through an earlier symlink", []entry{
			{name: "./data", typ: tar.TypeDir},
			{name: "./data/x", typ: tar.TypeDir},
			{name: "./data/x/up", typ: tar.TypeSymlink, link: ".."},
			{name: "./data/a", typ: tar.TypeSymlink, link: "x/up/../../evil"},
		}, `archive entry "./data/a": symlink to "x/up/../../evil" leaves the copied directory`},
		{"symlink to an absolute symlink", []entry{
			{name: "./data", typ: tar.TypeDir},
			{name: "./data/b", typ: tar.TypeSymlink, link: "a"},
			{name: "./data/a", typ: tar.TypeSymlink, link: "/etc"},
		}, `archive entry "./data/a": symlink to "/etc" leaves the copied directory`},
		{"symlink loop", []entry{
			{name: "./data", typ: tar.TypeDir},
			{name: "./data/a", typ: tar.TypeSymlink, link: "b"},
			{name: "./data/b", typ: tar.TypeSymlink, link: "a"},
		}, "too many levels of symbolic links"},
		{"hard link to a symlink", []entry{
			// data/sub/s is fine where it is; a hard link to it is the
			// same "../.." one directory up, which leaves dest.
			{name: "./data", typ: tar.TypeDir},
			{name: "./data/sub", typ: tar.TypeDir},
			{name: "./data/sub/s", typ: tar.TypeSymlink, link: ".."},
			{name: "./data/h", typ: tar.TypeLink, link: "./data/sub/s"},
		}, `archive entry "./data/h" is a hard link to the symlink "./data/sub/s"`},
		{"hard link through a symlink", []entry{
			{name: "./data", typ: tar.TypeDir},
			{name: "./data/sub", typ: tar.TypeDir},
			{name: "./data/l", typ: tar.TypeSymlink, link: "sub"},
			{name: "./data/h", typ: tar.TypeLink, link: "./data/l/f"},
		}, `lies under the symlink "data/l"`},
		{"directory over a symlink", []entry{
			{name: "./data", typ: tar.TypeDir},
			{name: "./data/sub", typ: tar.TypeDir},
			{name: "./data/l", typ: tar.TypeSymlink, link: "sub"},
			{name: "./data/l", typ: tar.TypeDir},
		}, `archive entry "./data/l" would replace the symlink "data/l"`},
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
			// No symlink left in the copy leads out of it.
			inside, _ := filepath.EvalSymlinks(filepath.Join(dest, "data"))
			_ = filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.Type()&fs.ModeSymlink == 0 {
					return nil
				}
				target, _ := os.Readlink(p)
				real, err := filepath.EvalSymlinks(p)
				if filepath.IsAbs(target) || err == nil && real != inside && !strings.HasPrefix(real, inside+string(filepath.Separator)) {
					t.Errorf("symlink %s to %q left, leading to %s", p, target, real)
				}
				return nil
			})
		})
	}
}

func TestExtractTarSymlinksInside(t *testing.T) {
	dest := t.TempDir()
	err := extractTar(bytes.NewReader(archive(t,
		entry{name: "./data", typ: tar.TypeDir},
		entry{name: "./data/sub", typ: tar.TypeDir},
		entry{name: "./data/up", typ: tar.TypeSymlink, link: "sub/back"}, // before sub/back exists
		entry{name: "./data/sub/f", typ: tar.TypeReg, body: "hello"},
		entry{name: "./data/l", typ: tar.TypeSymlink, link: "sub/f"},
		entry{name: "./data/sub/back", typ: tar.TypeSymlink, link: "../l"},
		entry{name: "./data/sub/self", typ: tar.TypeSymlink, link: "./../sub/."},
		entry{name: "./data/round", typ: tar.TypeSymlink, link: "../data/sub/f"},
		entry{name: "./data/dangling", typ: tar.TypeSymlink, link: "missing/file"},
	)), dest, "data")
	if err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{
		"up": "sub/back", "l": "sub/f", "sub/back": "../l", "sub/self": "./../sub/.",
		"round": "../data/sub/f", "dangling": "missing/file",
	} {
		if got, err := os.Readlink(filepath.Join(dest, "data", name)); err != nil || got != target {
			t.Errorf("symlink %s to %q, %v; want %q", name, got, err, target)
		}
	}
	for _, name := range []string{"l", "up", "sub/back", "sub/self/f", "round"} {
		if b, err := os.ReadFile(filepath.Join(dest, "data", name)); err != nil || string(b) != "hello" {
			t.Errorf("reading through %s: %q, %v", name, b, err)
		}
	}
}

func TestHostPathRefusesSymlinkOut(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "learner")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes"), bytes.Repeat([]byte("n"), 100000), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "passwd")); err != nil {
		t.Fatal(err)
	}
	n := &Node{name: "n", runner: &hostRunner{}}
	_, _, err := n.HostPath(context.Background(), dir)
	want := `archive entry "./learner/passwd": symlink to "/etc/passwd" leaves the copied directory`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("HostPath: %v, want %q", err, want)
	}
}

// TestHostPathReportsTarsError: when tar on the node fails before the
// archive is whole, the error is tar's, not what the cut archive looks
// like.
func TestHostPathReportsTarsError(t *testing.T) {
	full := archive(t,
		entry{name: "./member", typ: tar.TypeDir},
		entry{name: "./member/db", typ: tar.TypeReg, body: strings.Repeat("b", 4000)},
	)
	tests := []struct {
		name, stdout, stderr string
		code                 int
	}{
		{"nothing written", "", "tar: ./member: Cannot open: Permission denied\ntar: Exiting with failure status due to previous errors\n", 2},
		{"end blocks only", string(make([]byte, 10240)), "tar: ./member: Cannot stat: No such file or directory\ntar: Exiting with failure status due to previous errors\n", 2},
		{"cut short", string(full[:1500]), "tar: ./member/db: Read error at byte 0, while reading 4000 bytes: Input/output error\n", 2},
		{"cut short, exit 1", string(full[:1500]), "tar: ./member/db: file changed as we read it\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &scriptedRunner{t: t, script: map[string]reply{
				"readlink -e -v -- /var/lib/etcd/member": {stdout: "/var/lib/etcd/member\n"},
				"tar -C /var/lib/etcd/ -cf - ./member":   {stdout: tt.stdout, stderr: tt.stderr, code: tt.code},
			}}
			n := &Node{name: "ckat-x-control-plane", runner: r}
			_, _, err := n.HostPath(context.Background(), "/var/lib/etcd/member")
			var ee *labs.ExitError
			if err == nil || !errors.As(err, &ee) || ee.Code != tt.code {
				t.Fatalf("HostPath: %v, want tar's exit status %d", err, tt.code)
			}
			want := "copying /var/lib/etcd/member off node ckat-x-control-plane: " + strings.SplitN(tt.stderr, "\n", 2)[0]
			if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "archive") {
				t.Errorf("HostPath: %v\nwant %q", err, want)
			}
		})
	}
}

// TestHostPathVanished runs the real tar on a path gone after readlink saw
// it: GNU tar writes an archive of end blocks only and exits 2.
func TestHostPathVanished(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "member")
	if err := os.Mkdir(p, 0o700); err != nil {
		t.Fatal(err)
	}
	n := &Node{name: "n", runner: removeBeforeTar{&hostRunner{}, p}}
	_, _, err := n.HostPath(context.Background(), p)
	if err == nil || !strings.Contains(err.Error(), "tar: ./member: Cannot stat: No such file or directory") || !strings.Contains(err.Error(), "exit status 2") {
		t.Errorf("HostPath: %v, want tar's own error", err)
	}
}

// removeBeforeTar removes a path just before running tar.
type removeBeforeTar struct {
	*hostRunner
	path string
}

func (r removeBeforeTar) run(ctx context.Context, cmd labs.Command) error {
	if cmd.Args[0] == "tar" {
		if err := os.Remove(r.path); err != nil {
			return err
		}
	}
	return r.hostRunner.run(ctx, cmd)
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
