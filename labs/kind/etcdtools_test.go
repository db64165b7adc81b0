package kind

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckat/ckat/internal/testbin"
)

const etcdID = "5f3c0e9a4b2d7e1f8a6c3b9d0e2f4a1c7b8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f"

// etcdNode scripts a kind control-plane node whose etcd runs version
// etcdVersion from image, with the given tools in the image.
func etcdNode(t *testing.T, etcdVersion, image string, tools ...string) *scriptedRunner {
	t.Helper()
	inspect, err := os.ReadFile("testdata/crictl-inspect-etcd.json")
	if err != nil {
		t.Fatal(err)
	}
	script := map[string]reply{
		"crictl ps --name ^etcd$ --state Running --quiet --no-trunc": {stdout: etcdID + "\n"},
		"crictl inspect " + etcdID:                                   {stdout: strings.Replace(string(inspect), "registry.k8s.io/etcd:3.6.4-0", image, 1)},
		"crictl exec " + etcdID + " etcd --version":                  {stdout: "etcd Version: " + etcdVersion + "\nGit SHA: 5400cdc\nGo Version: go1.23.11\nGo OS/Arch: linux/amd64\n"},
	}
	minor := etcdVersion[:strings.LastIndex(etcdVersion, ".")]
	for _, tool := range []string{"etcdctl", "etcdutl"} {
		src := "/proc/1234/root/usr/local/bin/" + tool
		script["test -f "+src] = reply{code: 1}
	}
	for _, tool := range tools {
		src := "/proc/1234/root/usr/local/bin/" + tool
		script["test -f "+src] = reply{}
		script["install -m 0755 "+src+" /usr/local/bin/"+tool] = reply{}
		script["/usr/local/bin/"+tool+" version"] = reply{stdout: tool + " version: " + etcdVersion + "\nAPI version: " + minor + "\n"}
	}
	return &scriptedRunner{t: t, script: script}
}

func TestInstallEtcdTools(t *testing.T) {
	tests := []struct {
		name, version, image string
		tools                []string
		installed, missing   string
		lines                []string
	}{
		{
			name: "etcd 3.6 has both", version: "3.6.4", image: "registry.k8s.io/etcd:3.6.4-0",
			tools: []string{"etcdctl", "etcdutl"}, installed: "etcdctl etcdutl",
			lines: []string{"Installed etcdctl and etcdutl 3.6.4 in /usr/local/bin on ckat-x-control-plane, copied from the running etcd container (image registry.k8s.io/etcd:3.6.4-0), so they match the cluster's etcd."},
		},
		{
			name: "etcd 3.4 has no etcdutl", version: "3.4.13", image: "registry.k8s.io/etcd:3.4.13-0",
			tools: []string{"etcdctl"}, installed: "etcdctl", missing: "etcdutl",
			lines: []string{
				"Installed etcdctl 3.4.13 in /usr/local/bin on ckat-x-control-plane, copied from the running etcd container (image registry.k8s.io/etcd:3.4.13-0), so they match the cluster's etcd.",
				"The etcd image registry.k8s.io/etcd:3.4.13-0 has no etcdutl: etcd 3.4.13 predates it (it came with 3.5). Restore with 'ETCDCTL_API=3 etcdctl snapshot restore' instead, as the exam's 3.4 nodes do.",
			},
		},
		{
			name: "custom image without tools", version: "3.5.21", image: "example.com/etcd-slim:3.5.21",
			installed: "", missing: "etcdctl etcdutl",
			lines: []string{
				"The etcd image example.com/etcd-slim:3.5.21 has no etcdctl. To get it, download etcd-v3.5.21-linux-amd64.tar.gz (or -arm64) from https://github.com/etcd-io/etcd/releases/tag/v3.5.21 on the node and copy etcdctl from it to /usr/local/bin.",
				"The etcd image example.com/etcd-slim:3.5.21 has no etcdutl. To get it, download etcd-v3.5.21-linux-amd64.tar.gz (or -arm64) from https://github.com/etcd-io/etcd/releases/tag/v3.5.21 on the node and copy etcdutl from it to /usr/local/bin.",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := etcdNode(t, tt.version, tt.image, tt.tools...)
			res, err := installEtcdTools(context.Background(), "ckat-x-control-plane", r)
			if err != nil {
				t.Fatal(err)
			}
			if res.EtcdVersion != tt.version || res.Image != tt.image ||
				strings.Join(res.Installed, " ") != tt.installed || strings.Join(res.Missing, " ") != tt.missing {
				t.Errorf("result %+v", res)
			}
			if got := strings.Join(res.Lines(), "\n"); got != strings.Join(tt.lines, "\n") {
				t.Errorf("lines\n%s\nwant\n%s", got, strings.Join(tt.lines, "\n"))
			}
		})
	}
}

func TestInstallEtcdToolsCommands(t *testing.T) {
	r := etcdNode(t, "3.6.4", "registry.k8s.io/etcd:3.6.4-0", "etcdctl", "etcdutl")
	if _, err := installEtcdTools(context.Background(), "n", r); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"crictl ps --name ^etcd$ --state Running --quiet --no-trunc",
		"crictl inspect " + etcdID,
		"crictl exec " + etcdID + " etcd --version",
		"test -f /proc/1234/root/usr/local/bin/etcdctl",
		"install -m 0755 /proc/1234/root/usr/local/bin/etcdctl /usr/local/bin/etcdctl",
		"/usr/local/bin/etcdctl version",
		"test -f /proc/1234/root/usr/local/bin/etcdutl",
		"install -m 0755 /proc/1234/root/usr/local/bin/etcdutl /usr/local/bin/etcdutl",
		"/usr/local/bin/etcdutl version",
	}
	if got := strings.Join(r.calls, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("commands\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}

func TestInstallEtcdToolsFailures(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *scriptedRunner)
		want   string
	}{
		{"no etcd container", func(r *scriptedRunner) {
			r.script["crictl ps --name ^etcd$ --state Running --quiet --no-trunc"] = reply{}
		}, "no etcd container runs on the node"},
		{"crictl fails", func(r *scriptedRunner) {
			r.script["crictl ps --name ^etcd$ --state Running --quiet --no-trunc"] = reply{stderr: "connect: connection refused\n", code: 1}
		}, "listing the etcd container: connect: connection refused"},
		{"garbled version", func(r *scriptedRunner) {
			r.script["crictl exec "+etcdID+" etcd --version"] = reply{stdout: "etcd Version: banana\n"}
		}, `unexpected version "banana"`},
		{"tool of another version", func(r *scriptedRunner) {
			r.script["/usr/local/bin/etcdctl version"] = reply{stdout: "etcdctl version: 3.5.0\nAPI version: 3.5\n"}
		}, "/usr/local/bin/etcdctl reports version 3.5.0 but etcd is 3.6.4"},
		{"tool does not run", func(r *scriptedRunner) {
			r.script["/usr/local/bin/etcdutl version"] = reply{stderr: "exec format error\n", code: 126}
		}, "/usr/local/bin/etcdutl does not run on the node: exec format error"},
		{"no pid", func(r *scriptedRunner) {
			r.script["crictl inspect "+etcdID] = reply{stdout: `{"status":{},"info":{}}`}
		}, "no PID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := etcdNode(t, "3.6.4", "registry.k8s.io/etcd:3.6.4-0", "etcdctl", "etcdutl")
			tt.change(r)
			_, err := installEtcdTools(context.Background(), "n", r)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// TestParseEtcdVersionRealTools parses what the real etcd, etcdctl and
// etcdutl print, from ckat's multi-call binary.
func TestParseEtcdVersionRealTools(t *testing.T) {
	if testing.Short() {
		t.Skip("runs bin/ckat")
	}
	ckat := testbin.Ckat(t)
	dir := t.TempDir()
	versions := map[string]bool{}
	for _, tc := range []struct{ tool, arg, prefix string }{
		{"etcd", "--version", "etcd Version:"},
		{"etcdctl", "version", "etcdctl version:"},
		{"etcdutl", "version", "etcdutl version:"},
	} {
		link := filepath.Join(dir, tc.tool)
		if err := os.Symlink(ckat, link); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(link, tc.arg).Output()
		if err != nil {
			t.Fatalf("%s %s: %v", tc.tool, tc.arg, err)
		}
		v, err := parseEtcdVersion(string(out), tc.prefix)
		if err != nil || !strings.HasPrefix(v, "3.") {
			t.Errorf("%s: version %q, %v from %q", tc.tool, v, err, out)
		}
		versions[v] = true
	}
	if len(versions) != 1 {
		t.Errorf("the tools report different versions: %v", versions)
	}
}
