package local

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ckat/ckat/labs"
)

func TestStateOf(t *testing.T) {
	self := os.Getpid()
	start, _, err := procStartTime(self)
	if err != nil {
		t.Fatal(err)
	}
	// A process that has exited and been reaped leaves a free PID.
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	// A zombie: exited, not yet reaped.
	zombie := exec.Command("true")
	if err := zombie.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = zombie.Wait() }()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, z, err := procStartTime(zombie.Process.Pid); err == nil && z {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the child did not become a zombie")
		}
	}
	zStart, _, _ := procStartTime(zombie.Process.Pid)

	tests := []struct {
		name   string
		st     state
		want   labs.State
		msg    string
		remedy labs.Remedy
	}{
		{"alive with its start time", state{PID: self, PIDStartTime: start}, labs.StateRunning, "", ""},
		{"PID reused by another process", state{PID: self, PIDStartTime: start + 1}, labs.StateDead, "its data is kept", labs.RemedyStart},
		{"process gone", state{PID: gone.Process.Pid, PIDStartTime: start}, labs.StateDead, "its node's processes are gone", labs.RemedyStart},
		{"zombie", state{PID: zombie.Process.Pid, PIDStartTime: zStart}, labs.StateDead, "its node's processes are gone", labs.RemedyStart},
		{"stopped cleanly", state{PID: gone.Process.Pid, Stopped: true}, labs.StateStopped, "", labs.RemedyStart},
		{"never started", state{NodeIP: "172.30.1.10"}, labs.StateDead, "its node never started", labs.RemedyDelete},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, msg, remedy := stateOf(tt.st)
			if got != tt.want || !strings.Contains(msg, tt.msg) || remedy != tt.remedy {
				t.Errorf("stateOf = %s, %q, %q; want %s, containing %q, %q", got, msg, remedy, tt.want, tt.msg, tt.remedy)
			}
		})
	}
}

func TestStateFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if st, err := readState(dir); err != nil || st != (state{}) {
		t.Fatalf("missing state file: %+v, %v; want the zero state", st, err)
	}
	want := state{PID: 42, PIDStartTime: 7, APIPort: 1234, EtcdPort: 5678, NodeIP: "172.30.3.10", Stopped: true}
	if err := writeState(dir, want); err != nil {
		t.Fatal(err)
	}
	if got, err := readState(dir); err != nil || got != want {
		t.Fatalf("read back %+v, %v; want %+v", got, err, want)
	}
	if err := os.WriteFile(statePath(dir), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readState(dir); err == nil || !strings.Contains(err.Error(), "state.json is damaged") {
		t.Fatalf("damaged state file: %v", err)
	}
}

func TestFreeNodeIP(t *testing.T) {
	t.Setenv("CKAT_HOME", t.TempDir())
	for i, name := range []string{"a", "b", "c"} {
		dir, st, unlock, err := createDir(name, "/bin/true")
		if err != nil {
			t.Fatal(err)
		}
		unlock()
		want := []string{"172.30.1.10", "172.30.2.10", "172.30.3.10"}[i]
		if st.NodeIP != want {
			t.Errorf("lab %s got %s, want %s", name, st.NodeIP, want)
		}
		if got, _ := readState(dir); got.NodeIP != want {
			t.Errorf("lab %s state says %s, want %s", name, got.NodeIP, want)
		}
	}
	if err := labs.RemoveDir("b"); err != nil {
		t.Fatal(err)
	}
	if _, st, _, err := createDir("d", "/bin/true"); err != nil || st.NodeIP != "172.30.2.10" {
		t.Errorf("after deleting b, new lab got %s, %v; want b's 172.30.2.10", st.NodeIP, err)
	}
	if _, _, _, err := createDir("a", "/bin/true"); err == nil || !strings.Contains(err.Error(), `lab "a" already exists`) {
		t.Errorf("duplicate: %v", err)
	}
}
