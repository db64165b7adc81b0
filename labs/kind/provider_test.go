package kind

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ckat/ckat/labs"
)

// noEngineHere skips a test on a machine where a docker engine answers.
func noEngineHere(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("needs a docker client without an engine")
	}
	if exec.Command("docker", "info").Run() == nil {
		t.Skip("a docker engine answers here; the e2e_kind tests cover this machine")
	}
}

// fakeKindLab writes the records of a kind lab called name as Create
// would, without a cluster.
func fakeKindLab(t *testing.T, name string) (string, clusterRecord) {
	t.Helper()
	dir, err := labs.CreateDir(labs.Record{Name: name, Provider: ProviderName})
	if err != nil {
		t.Fatal(err)
	}
	cr := newClusterRecord(name, "single-control-plane", DefaultNodeImage, "docker")
	if err := writeClusterRecord(dir, cr); err != nil {
		t.Fatal(err)
	}
	kc, err := os.ReadFile("testdata/kubeconfig")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kubeconfig"), kc, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, cr
}

func TestCreateWithoutEngineFailsFast(t *testing.T) {
	noEngineHere(t)
	t.Setenv("CKAT_HOME", t.TempDir())
	t.Setenv("KIND_EXPERIMENTAL_PROVIDER", "")
	start := time.Now()
	_, err := New(nil).Create(context.Background(), labs.CreateOptions{Name: "demo"})
	elapsed := time.Since(start)
	if err == nil {
		t.Fatal("Create succeeded without a container engine")
	}
	msg := err.Error()
	for _, want := range []string{
		`cannot create kind lab "demo": container engine: docker is installed but no engine answers`,
		"start the Docker daemon",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if re, ok := labs.RemedyOf(err); !ok || re.Remedy != labs.RemedyDoctor || re.Provider != ProviderName {
		t.Errorf("error %q: remedy %+v, want the kind provider's doctor", msg, re)
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	if elapsed > 10*time.Second {
		t.Errorf("Create took %s to fail", elapsed)
	}
	t.Logf("Create failed in %s", elapsed)
	if _, err := labs.ReadRecord("demo"); !errors.Is(err, labs.ErrNotFound) {
		t.Errorf("a lab record was left: %v", err)
	}
}

func TestCreateRejectsBadOptions(t *testing.T) {
	t.Setenv("CKAT_HOME", t.TempDir())
	tests := []struct {
		opts labs.CreateOptions
		want string
	}{
		{labs.CreateOptions{Name: "Bad_Name"}, `invalid lab name "Bad_Name"`},
		{labs.CreateOptions{Name: "demo", Config: "five-nodes"}, `unknown kind config "five-nodes": choose one of`},
	}
	for _, tt := range tests {
		_, err := New(nil).Create(context.Background(), tt.opts)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Create(%+v): %v, want %q", tt.opts, err, tt.want)
		}
	}
}

func TestGetKindLab(t *testing.T) {
	t.Setenv("CKAT_HOME", t.TempDir())
	_, cr := fakeKindLab(t, "demo")
	l, err := New(nil).Get(context.Background(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	if l.Name() != "demo" || l.Provider() != "kind" || l.Node().Name() != "ckat-demo-control-plane" || cr.Context != "kind-ckat-demo" {
		t.Errorf("lab %s/%s node %s", l.Name(), l.Provider(), l.Node().Name())
	}
	cfg, err := l.RESTConfig(context.Background())
	if err != nil || cfg.Host != "https://127.0.0.1:41893" || cfg.BearerToken != "not-a-real-token" {
		t.Errorf("RESTConfig = %+v, %v", cfg, err)
	}

	if _, err := labs.CreateDir(labs.Record{Name: "local-one", Provider: "local"}); err != nil {
		t.Fatal(err)
	}
	if _, err := New(nil).Get(context.Background(), "local-one"); err == nil || !strings.Contains(err.Error(), `lab "local-one" was made by the local provider, not the kind one`) {
		t.Errorf("Get(local lab): %v", err)
	}
	if _, err := labs.CreateDir(labs.Record{Name: "no-record", Provider: "kind"}); err != nil {
		t.Fatal(err)
	}
	if _, err := New(nil).Get(context.Background(), "no-record"); err == nil || !strings.Contains(err.Error(), "reading the lab's kind record") {
		t.Errorf("Get(lab without kind.json): %v", err)
	}
	if _, err := New(nil).Get(context.Background(), "absent"); !errors.Is(err, labs.ErrNotFound) {
		t.Errorf("Get(absent): %v", err)
	}
}

func TestKindLabWithoutEngine(t *testing.T) {
	noEngineHere(t)
	t.Setenv("CKAT_HOME", t.TempDir())
	dir, _ := fakeKindLab(t, "demo")
	p := New(nil)
	ctx := context.Background()
	l, err := p.Get(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	st, err := l.Status(ctx)
	if err != nil || st.State != labs.StateDead || !strings.Contains(st.Message, "no engine answers") || st.APIServer != "https://127.0.0.1:41893" {
		t.Errorf("Status = %+v, %v", st, err)
	}
	if _, err := l.Node().ReadFile(ctx, "/etc/kubernetes/manifests/etcd.yaml"); err == nil || !strings.Contains(err.Error(), "reaching the lab's node: no container engine answers") {
		t.Errorf("ReadFile: %v", err)
	}
	err = p.Delete(ctx, "demo")
	if err == nil || !strings.Contains(err.Error(), `cannot check lab "demo"'s kind cluster before deleting it: no container engine answers`) {
		t.Errorf("Delete: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "lab.json")); err != nil {
		t.Errorf("Delete removed the lab although it could not check the cluster: %v", err)
	}
	for _, op := range []func(context.Context, string) error{p.Stop, p.Start} {
		if err := op(ctx, "demo"); err == nil || !strings.Contains(err.Error(), "no container engine answers") {
			t.Errorf("Stop/Start: %v", err)
		}
	}
}

func TestCheckOwnership(t *testing.T) {
	cr := newClusterRecord("demo", "single-control-plane", DefaultNodeImage, "docker")
	kindRec := labs.Record{Name: "demo", Provider: "kind"}
	good := cr.marker("demo")
	other := cr
	other.Cluster = "kind"
	tests := []struct {
		name      string
		rec       labs.Record
		cr        clusterRecord
		m         marker
		markerErr error
		want      string
	}{
		{"ours", kindRec, cr, good, nil, ""},
		{"local lab", labs.Record{Name: "demo", Provider: "local"}, cr, good, nil, "made by the local provider"},
		{"record names another cluster", kindRec, other, good, nil, `refusing to delete kind cluster kind: lab "demo" records cluster "kind", not "ckat-demo"`},
		{"no marker", kindRec, cr, marker{}, errors.New("Could not find the file /kind/ckat-lab.json in container ckat-demo-control-plane"), "cannot read ckat's marker /kind/ckat-lab.json on ckat-demo-control-plane: Could not find the file"},
		{"marker of another lab", kindRec, cr, marker{Lab: "other", UID: cr.UID}, nil, `names lab "other"`},
		{"marker of an earlier create", kindRec, cr, marker{Lab: "demo", UID: "0123"}, nil, "of another create"},
		{"empty uids", kindRec, clusterRecord{Cluster: "ckat-demo"}, marker{Lab: "demo"}, nil, "of another create"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkOwnership("demo", tt.rec, tt.cr, tt.m, tt.markerErr)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestReadMarkerTar(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	body := `{"lab":"demo","uid":"abc"}`
	_ = tw.WriteHeader(&tar.Header{Name: "ckat-lab.json", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))})
	_, _ = tw.Write([]byte(body))
	_ = tw.Close()
	m, err := readMarkerTar(&buf)
	if err != nil || m != (marker{Lab: "demo", UID: "abc"}) {
		t.Errorf("marker %+v, %v", m, err)
	}
	var empty bytes.Buffer
	_ = tar.NewWriter(&empty).Close()
	if _, err := readMarkerTar(&empty); err == nil {
		t.Error("an empty archive gave a marker")
	}
}

// stdinRunner records the commands and what they read on stdin.
type stdinRunner struct {
	args  [][]string
	stdin []string
}

func (s *stdinRunner) run(_ context.Context, cmd labs.Command) error {
	s.args = append(s.args, cmd.Args)
	var b bytes.Buffer
	if cmd.Stdin != nil {
		_, _ = b.ReadFrom(cmd.Stdin)
	}
	s.stdin = append(s.stdin, b.String())
	return nil
}

func TestWriteMarker(t *testing.T) {
	r := &stdinRunner{}
	n := &Node{name: "n", runner: r}
	if err := writeMarker(context.Background(), n, marker{Lab: "demo", UID: "abc"}); err != nil {
		t.Fatal(err)
	}
	if len(r.args) != 1 || strings.Join(r.args[0], " ") != "tee /kind/ckat-lab.json" || r.stdin[0] != `{"lab":"demo","uid":"abc"}` {
		t.Errorf("commands %q with stdin %q", r.args, r.stdin)
	}
}

// TestClusterNameFitsKind checks that every valid lab name gives a kind
// cluster name kind accepts without warning, and a node hostname within
// the 63-byte limit.
func TestClusterNameFitsKind(t *testing.T) {
	kindName := regexp.MustCompile(`^[a-z0-9.-]+$`) // kind's own rule
	for _, lab := range []string{"a", "demo", "etcd-backup-restore", strings.Repeat("z", 32), "a" + strings.Repeat("-", 30) + "b"} {
		if err := labs.ValidateName(lab); err != nil {
			t.Fatal(err)
		}
		cr := newClusterRecord(lab, "", "", "")
		if !kindName.MatchString(cr.Cluster) || len(cr.Cluster) > 50 || !strings.HasPrefix(cr.Cluster, ClusterPrefix) {
			t.Errorf("lab %q: cluster name %q", lab, cr.Cluster)
		}
		if len(cr.ControlPlane) > 63 || cr.Context != "kind-"+cr.Cluster {
			t.Errorf("lab %q: node %q, context %q", lab, cr.ControlPlane, cr.Context)
		}
	}
}
