package node

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ckat/ckat/internal/testbin"
)

// nobody is the unprivileged user TestUnprivileged runs as.
const nobody = 65534

// TestUnprivileged runs this package's other tests again as an unprivileged user
// from a directory it cannot write, so that every node is started in a
// user namespace. Run as that user already, the other tests do this
// themselves.
func TestUnprivileged(t *testing.T) {
	if testing.Short() {
		t.Skip("starts nodes in new namespaces")
	}
	if os.Getuid() != 0 {
		t.Skip("not root: the other tests already start their nodes in user namespaces")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	binDir := filepath.Join(base, "bin")
	home := filepath.Join(base, "home")
	for _, d := range []string{base, filepath.Dir(base), binDir, home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(home, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(binDir, "node.test")
	copyFile(t, self, exe)

	cmd := exec.Command(exe, "-test.v", "-test.count=1", "-test.skip", "^TestUnprivileged$")
	cmd.Dir = home
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "TMPDIR=" + home, "CKAT_BIN_DIR=" + testbin.Dir(t, "ckat")}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the tests as uid %d: %v\n%s", nobody, err, out)
	}
	for _, want := range []string{"--- PASS: TestNode ", "--- PASS: TestNode/user_namespace", "--- PASS: TestNodeKillLeavesNothing",
		"--- PASS: TestTwoNodes", "--- PASS: TestNodeRestartKeepsFiles", "--- PASS: TestNodeWithCkat", "--- PASS: TestExecTTY"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("as uid %d, the output lacks %q:\n%s", nobody, want, out)
		}
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
