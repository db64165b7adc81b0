package systemd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ckat/ckat/internal/kubeadm"
)

func TestFormatSpanAndAgo(t *testing.T) {
	for d, want := range map[time.Duration]string{
		693 * time.Millisecond:                      "693ms",
		time.Minute + 2345*time.Millisecond:         "1min 2.345s",
		2*time.Hour + 3*time.Minute + 4*time.Second: "2h 3min 4s",
		90 * time.Second:                            "1min 30s",
	} {
		if got := formatSpan(d, time.Millisecond); got != want {
			t.Errorf("formatSpan(%s) = %q, want %q", d, got, want)
		}
	}
	now := time.Date(2026, 12, 3, 18, 40, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{
		3 * time.Second:             "3s ago",
		80 * time.Second:            "1min 20s ago",
		7 * time.Minute:             "7min ago",
		2*time.Hour + 3*time.Minute: "2h 3min ago",
		26 * time.Hour:              "1 day 2h ago",
		72 * time.Hour:              "3 days ago",
	} {
		if got := formatAgo(now.Add(-d), now); got != want {
			t.Errorf("formatAgo(-%s) = %q, want %q", d, got, want)
		}
	}
	if got := formatBytes(92*1024*1024 + 100*1024); got != "92.1M" {
		t.Errorf("formatBytes = %q, want 92.1M", got)
	}
}

func TestParseTimestamp(t *testing.T) {
	now := time.Date(2026, 12, 3, 18, 40, 0, 0, time.Local)
	for in, want := range map[string]time.Time{
		"2026-12-03 18:30:05": time.Date(2026, 12, 3, 18, 30, 5, 0, time.Local),
		"2026-12-03 18:30":    time.Date(2026, 12, 3, 18, 30, 0, 0, time.Local),
		"2026-12-02":          time.Date(2026, 12, 2, 0, 0, 0, 0, time.Local),
		"18:30":               time.Date(2026, 12, 3, 18, 30, 0, 0, time.Local),
		"today":               time.Date(2026, 12, 3, 0, 0, 0, 0, time.Local),
		"yesterday":           time.Date(2026, 12, 2, 0, 0, 0, 0, time.Local),
		"10 min ago":          now.Add(-10 * time.Minute),
		"1 hour ago":          now.Add(-time.Hour),
		"-30s":                now.Add(-30 * time.Second),
		"-5min":               now.Add(-5 * time.Minute),
	} {
		got, err := ParseTimestamp(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTimestamp(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseTimestamp("last tuesday", now); err == nil || err.Error() != "Failed to parse timestamp: last tuesday" {
		t.Errorf("ParseTimestamp(last tuesday): %v, want journalctl's error", err)
	}
}

// TestKubeadmUnitArgv expands kubeadm's drop-in as systemd does: the
// kubelet gets the four variables' flags, empty ones dropped.
func TestKubeadmUnitArgv(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{"kubelet.service": kubeadm.KubeletServiceText, "10-kubeadm.conf": kubeadm.KubeadmDropInText} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	u := &Unit{Sources: map[string]time.Time{}}
	for _, name := range []string{"kubelet.service", "10-kubeadm.conf"} {
		if err := u.apply(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if u.Description != "kubelet: The Kubernetes Node Agent" || u.RestartSec != 10*time.Second {
		t.Errorf("unit: description %q, RestartSec %s", u.Description, u.RestartSec)
	}
	env, err := u.Env()
	if err != nil {
		t.Fatalf("Env: %v (both environment files are optional)", err)
	}
	env["KUBELET_EXTRA_ARGS"] = "--v=2"
	argv, err := u.Argv(env)
	if err != nil {
		t.Fatal(err)
	}
	want := "/usr/bin/kubelet --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf --config=/var/lib/kubelet/config.yaml --v=2"
	if got := strings.Join(argv, " "); got != want {
		t.Errorf("argv = %q\nwant   %q", got, want)
	}
}

// TestSystemctlRefusals checks the answers that need no running node:
// systemd's own for units that do not exist, and a one-line refusal of
// verbs this node does not have.
func TestSystemctlRefusals(t *testing.T) {
	for _, tc := range []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{[]string{"status", "containerd"}, 4, "", "Unit containerd.service could not be found.\n"},
		{[]string{"start", "docker.service"}, 5, "", "Failed to start docker.service: Unit docker.service not found.\n"},
		{[]string{"stop", "foo"}, 5, "", "Failed to stop foo.service: Unit foo.service not loaded.\n"},
		{[]string{"is-active", "foo"}, 3, "inactive\n", ""},
		{[]string{"is-enabled", "foo"}, 1, "", "Failed to get unit file state for foo.service: No such file or directory\n"},
		{[]string{"is-enabled", "kubelet"}, 0, "enabled\n", ""},
		{[]string{"disable", "kubelet"}, 1, "", "systemctl disable is not supported on this node; it supports status, start, stop, restart, is-active, is-enabled, enable, daemon-reload and cat for kubelet.service\n"},
		{[]string{"start"}, 1, "", "Too few arguments.\n"},
	} {
		var out, errb bytes.Buffer
		code := Systemctl(tc.args, &out, &errb)
		if code != tc.code || out.String() != tc.stdout || errb.String() != tc.stderr {
			t.Errorf("systemctl %s: exit %d, stdout %q, stderr %q; want %d, %q, %q", strings.Join(tc.args, " "), code, out.String(), errb.String(), tc.code, tc.stdout, tc.stderr)
		}
	}
}

// TestJournalctl reads a journal as journalctl -u, -n and --since do.
func TestJournalctl(t *testing.T) {
	journalPath = filepath.Join(t.TempDir(), "ckat.journal")
	defer func() { journalPath = JournalFile }()
	j := NewJournal(journalPath)
	base := time.Date(2026, 12, 3, 18, 40, 1, 0, time.Local)
	j.Write(Entry{Time: base, Hostname: "controlplane", Ident: "systemd", PID: 1, Unit: "kubelet.service", Message: "Started kubelet.service - kubelet: The Kubernetes Node Agent."})
	for i := 1; i <= 3; i++ {
		j.Write(Entry{Time: base.Add(time.Duration(i) * time.Minute), Hostname: "controlplane", Ident: "kubelet", PID: 42, Unit: "kubelet.service", Message: "I1203 line " + string(rune('0'+i))})
	}
	j.Write(Entry{Time: base.Add(5 * time.Minute), Hostname: "controlplane", Ident: "systemd", PID: 1, Message: "Reloading."})
	run := func(args ...string) string {
		var out, errb bytes.Buffer
		if code := Journalctl(args, &out, &errb); code != 0 {
			t.Fatalf("journalctl %v: exit %d: %s", args, code, errb.String())
		}
		return out.String()
	}
	if got, want := run("-u", "kubelet", "-n", "2", "--no-pager"), "Dec 03 18:42:01 controlplane kubelet[42]: I1203 line 2\nDec 03 18:43:01 controlplane kubelet[42]: I1203 line 3\n"; got != want {
		t.Errorf("journalctl -u kubelet -n 2:\n%s\nwant:\n%s", got, want)
	}
	if got := run("-xeu", "kubelet.service"); strings.Count(got, "\n") != 4 || !strings.HasPrefix(got, "Dec 03 18:40:01 controlplane systemd[1]: Started kubelet.service") {
		t.Errorf("journalctl -xeu kubelet.service:\n%s", got)
	}
	if got := run("-u", "kubelet", "--since", "2026-12-03 18:42:30"); got != "Dec 03 18:43:01 controlplane kubelet[42]: I1203 line 3\n" {
		t.Errorf("journalctl --since:\n%s", got)
	}
	if got := run("-u", "containerd"); got != "-- No entries --\n" {
		t.Errorf("journalctl -u containerd: %q", got)
	}
	if got := run(); strings.Count(got, "\n") != 5 {
		t.Errorf("journalctl without -u shows every entry:\n%s", got)
	}
}
