package session

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
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
func (fakeLab) Status(context.Context) (labs.Status, error) {
	return labs.Status{Name: "lab1", NodeIP: "172.30.1.10"}, nil
}

// TestRenderNodeIP: the lab's status gives the node's IP to templates as
// {{.lab.nodeIP}}.
func TestRenderNodeIP(t *testing.T) {
	sc, err := scenarios.Get("apiserver-etcd-peer-port", "")
	require.NoError(t, err)
	params, err := sc.GenerateParams(1)
	require.NoError(t, err)
	s := &Session{Lab: fakeLab{}, Source: sc, State: scenarios.State{Scenario: sc.Metadata.Name, Seed: 1, Stage: "fix", Params: params}}
	require.NoError(t, s.render(context.Background()))
	var scripts []string
	for _, a := range s.Rendered.Alternatives {
		scripts = append(scripts, a.Script)
	}
	require.Contains(t, strings.Join(scripts, "\n"), "--etcd-servers=https://172.30.1.10:2379")
}

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
	require.NotContains(t, out, "ckat next", "the last stage has no next")
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

// TestWriteTaskNext: a stage before the last tells the learner at the
// command line how to go on; the stage's own task, which the web page
// shows beside its Next button, does not.
func TestWriteTaskNext(t *testing.T) {
	sc, err := scenarios.Get("etcd-backup-restore", "")
	require.NoError(t, err)
	params, err := sc.GenerateParams(3)
	require.NoError(t, err)
	s := &Session{Lab: fakeLab{}, Source: sc, State: scenarios.State{Scenario: sc.Metadata.Name, Seed: 3, Stage: "backup", Params: params}}
	require.NoError(t, s.render(context.Background()))
	var text bytes.Buffer
	s.WriteTask(&text)
	require.True(t, strings.HasSuffix(text.String(), "\nWhen you are done, run 'ckat next' to go on to stage 2.\n\n"), text.String())
	require.NotContains(t, s.Stage().Task, "ckat next")
}
