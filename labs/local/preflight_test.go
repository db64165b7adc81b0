package local

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckat/ckat/labs"
)

func TestPreflightKubeAPIServer(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "kube-apiserver")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	tests := []struct {
		name     string
		explicit string
		env      string
		message  string
	}{
		{"explicit, not executable", notExec, "", "kube-apiserver " + notExec + " (from --kube-apiserver) is not an executable file"},
		{"from the environment, missing", "", missing, "kube-apiserver " + missing + " (from CKAT_KUBE_APISERVER) does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(KubeAPIServerEnv, tt.env)
			var f labs.Finding
			for _, c := range New(nil, WithKubeAPIServer(tt.explicit)).Preflight(context.Background()) {
				if c.Check == "kube-apiserver" {
					f = c
				}
			}
			if f.Status != labs.FindingProblem || f.Message != tt.message || f.Fix != buildHint {
				t.Errorf("kube-apiserver finding = %+v, want a problem %q with the fix %q", f, tt.message, buildHint)
			}
		})
	}
}

func TestHasFilesystem(t *testing.T) {
	if !hasFilesystem("testdata/filesystems-with-overlay", "overlay") {
		t.Error("overlay not found in filesystems-with-overlay")
	}
	if hasFilesystem("testdata/filesystems-without-overlay", "overlay") {
		t.Error("overlay found in filesystems-without-overlay")
	}
	if hasFilesystem("testdata/missing", "overlay") {
		t.Error("overlay found in a missing file")
	}
}

func TestKernelAtLeast(t *testing.T) {
	tests := []struct {
		release string
		want    bool
	}{
		{"6.8.0-1017-azure", true},
		{"5.11.0", true},
		{"5.10.209-198.858.amzn2.x86_64", false},
		{"4.19.0", false},
		{"garbage", false},
	}
	for _, tt := range tests {
		if got := kernelAtLeast(tt.release, 5, 11); got != tt.want {
			t.Errorf("kernelAtLeast(%q, 5, 11) = %v", tt.release, got)
		}
	}
}

func TestInotifyFinding(t *testing.T) {
	ok := inotifyFinding(128, 20)
	if ok.Status != labs.FindingOK || ok.Message != "20 of fs.inotify.max_user_instances=128 in use: room for 12 more labs (9 each)" {
		t.Errorf("room for 12 labs: %+v", ok)
	}
	full := inotifyFinding(128, 128)
	if full.Status != labs.FindingWarning || full.Fix != "as root: sysctl -w fs.inotify.max_user_instances=1024" ||
		!strings.Contains(full.Message, "room for 0 more labs") || !strings.Contains(full.Message, "only 20 s later") {
		t.Errorf("no room: %+v", full)
	}
}
