package kind_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ckat/ckat/cmd/ckat/app"
	"github.com/ckat/ckat/internal/cli"
)

// TestCommandsWithoutEngineFailFast runs the commands that create a kind
// lab on a machine with a docker client and no engine: each must fail in
// seconds with the doctor's one-line message and leave no lab behind.
func TestCommandsWithoutEngineFailFast(t *testing.T) {
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("needs a docker client without an engine")
	}
	if exec.Command("docker", "info").Run() == nil {
		t.Skip("a docker engine answers here; the e2e_kind tests cover this machine")
	}
	t.Setenv("KIND_EXPERIMENTAL_PROVIDER", "")
	tests := []struct {
		args []string
		lab  string
	}{
		{[]string{"lab", "create", "demo", "--provider", "kind"}, "demo"},
		{[]string{"start", "etcd-backup-restore", "--provider", "kind"}, "etcd-backup-restore"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			home := t.TempDir()
			t.Setenv("CKAT_HOME", home)
			var out, errOut bytes.Buffer
			start := time.Now()
			code := app.Run(context.Background(), cli.Streams{In: strings.NewReader(""), Out: &out, Err: &errOut}, tt.args)
			elapsed := time.Since(start)
			if code != cli.ExitFailed {
				t.Errorf("exit %d, want 1", code)
			}
			var last string
			for _, line := range strings.Split(strings.TrimSpace(errOut.String()), "\n") {
				if strings.HasPrefix(line, "ckat: ") {
					last = line
				}
			}
			want := `ckat: cannot create kind lab "` + tt.lab + `": container engine: docker is installed but no engine answers`
			if !strings.HasPrefix(last, want) || !strings.Contains(last, "start the Docker daemon") || !strings.HasSuffix(last, "(see 'ckat doctor --provider kind')") {
				t.Errorf("stderr:\n%s\nwant a line starting %q", errOut.String(), want)
			}
			if elapsed > 10*time.Second {
				t.Errorf("took %s", elapsed)
			}
			t.Logf("failed in %s", elapsed.Round(time.Millisecond))
			if _, err := os.Stat(filepath.Join(home, "labs", tt.lab)); !os.IsNotExist(err) {
				t.Errorf("a lab directory was left: %v", err)
			}
		})
	}
}
