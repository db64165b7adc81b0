package lab

import (
	"bytes"
	"testing"
	"time"

	"github.com/ckat/ckat/labs"
)

func TestPrintTable(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	statuses := []labs.Status{
		{Name: "exam", Provider: "local", State: labs.StateRunning, Node: "controlplane", APIServer: "https://127.0.0.1:40001", Created: now.Add(-90 * time.Minute)},
		{Name: "old", Provider: "local", State: labs.StateDead, Node: "controlplane", Created: now.Add(-50 * time.Hour), Message: "its node's processes are gone"},
		{Name: "k", Provider: "kind", State: stateUnknown, Created: now.Add(-10 * time.Second), Message: "no container engine"},
	}
	var out bytes.Buffer
	if err := printTable(&out, statuses, now); err != nil {
		t.Fatal(err)
	}
	want := `NAME   PROVIDER   STATE     NODE           API-SERVER                AGE
exam   local      running   controlplane   https://127.0.0.1:40001   90m
old    local      dead      controlplane   -                         2d2h
k      kind       unknown   -              -                         10s
old is dead: its node's processes are gone
k is unknown: no container engine
`
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}
