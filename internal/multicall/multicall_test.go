package multicall_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ckat/ckat/internal/testbin"
)

// TestKubectlSpeaksTheUsersLanguage: ckat run as kubectl loads kubectl's
// message catalogue for the user's language, as kubectl does, although
// ckat's other processes leave it out (package kubectli18n).
func TestKubectlSpeaksTheUsersLanguage(t *testing.T) {
	kubectl := filepath.Join(t.TempDir(), "kubectl")
	require.NoError(t, os.Symlink(testbin.Ckat(t), kubectl))
	for lang, want := range map[string]string{
		"ja_JP.UTF-8": "1つまたは複数のリソースを表示する",
		"C.UTF-8":     "Display one or many resources",
	} {
		cmd := exec.Command(kubectl, "--help")
		cmd.Env = []string{"LANG=" + lang, "HOME=" + t.TempDir()}
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.Contains(t, string(out), want, "kubectl --help with LANG=%s", lang)
	}
}
