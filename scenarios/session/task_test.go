package session

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/scenarios"
)

// fakeLab is the little of a lab that printing a task needs.
type fakeLab struct{ labs.Lab }

func (fakeLab) Name() string     { return "lab1" }
func (fakeLab) Provider() string { return "local" }
func (fakeLab) Node() labs.Node  { return dirNode{} }

func TestWriteTask(t *testing.T) {
	all, err := scenarios.Builtin()
	require.NoError(t, err)
	var sc *scenarios.Scenario
	for _, s := range all {
		if s.Metadata.Name == "etcd-restore" {
			sc = s
		}
	}
	params, err := sc.GenerateParams(11)
	require.NoError(t, err)
	s := &Session{Lab: fakeLab{}, Source: sc, State: scenarios.State{Scenario: "etcd-restore", Seed: 11, Stage: "restore", Params: params}}
	require.NoError(t, s.render(context.Background()))

	var text bytes.Buffer
	s.WriteTask(&text)
	out := text.String()
	require.Contains(t, out, "Scenario etcd-restore, lab lab1: stage 1 of 1 (restore)\n\n")
	require.Contains(t, out, "  A snapshot of the etcd instance on node controlplane was saved to\n  "+params["snapshotPath"]+" before")
	require.Contains(t, out, "    - restore the snapshot into the new data directory "+params["restoreDir"]+"\n")
	require.NotContains(t, out, " \n", "no trailing spaces")
	guide, ok := s.GuidePath()
	require.True(t, ok)
	require.Equal(t, "scenarios/guides/etcd-restore.md", guide)

	var js bytes.Buffer
	require.NoError(t, s.WriteTaskJSON(&js))
	var got TaskJSON
	require.NoError(t, json.Unmarshal(js.Bytes(), &got))
	require.Equal(t, "etcd-restore", got.Scenario)
	require.Equal(t, "lab1", got.Lab)
	require.Equal(t, "restore", got.Stage)
	require.Equal(t, "/var/lib/etcd-"+params["word"], got.Params["restoreDir"])
	require.Equal(t, "/opt/backup/etcd-"+params["word"]+".db", got.Params["snapshotPath"])
	require.Contains(t, got.Task, got.Params["restoreDir"])
}
