package agent

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ckat/ckat/internal/atomicfile"
)

// PodStatus is one static pod in the status file the agent keeps for the
// host (Config.StatusFile).
type PodStatus struct {
	Name      string     `json:"name"`
	Namespace string     `json:"namespace"`
	Manifest  string     `json:"manifest"`
	Phase     string     `json:"phase"` // Running, Pending or Failed
	Ready     bool       `json:"ready"`
	Restarts  int        `json:"restarts"`
	PID       int        `json:"pid,omitempty"`
	StartedAt *time.Time `json:"startedAt,omitempty"`
	// ReadySince is when the pod last became ready, as the Ready
	// condition's lastTransitionTime says; nil when it is not ready.
	ReadySince   *time.Time `json:"readySince,omitempty"`
	LastExitCode int        `json:"lastExitCode"`
	// LastStartedAt and LastFinishedAt bound the previous run of the
	// container that exited last, as `kubectl describe pod` shows under
	// Last State: Terminated; nil before any exit.
	LastStartedAt  *time.Time `json:"lastStartedAt,omitempty"`
	LastFinishedAt *time.Time `json:"lastFinishedAt,omitempty"`
	Reason         string     `json:"reason,omitempty"`
	Message        string     `json:"message,omitempty"`
}

// ParseStatus decodes a status file.
func ParseStatus(data []byte) ([]PodStatus, error) {
	var out []PodStatus
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("node agent status: %w", err)
	}
	return out, nil
}

// status is the pod's status-file entry.
func (w *podWorker) status() PodStatus {
	cs := w.snapshot()
	st := PodStatus{Name: w.pod.Name, Namespace: w.pod.Namespace, Manifest: w.file, Phase: "Running", Ready: true}
	everRan := false
	var readySince time.Time
	for i, c := range cs {
		st.Restarts += c.Restarts
		if c.Running || (c.Last != nil && c.Last.Reason != reasonStartError) {
			everRan = true
		}
		if !c.Ready {
			st.Ready = false
		} else if c.ReadySince.After(readySince) {
			readySince = c.ReadySince
		}
		if c.Last != nil && (st.LastExitCode == 0 || i == 0) {
			st.LastExitCode = c.Last.ExitCode
		}
		if c.Last != nil && (st.LastFinishedAt == nil || c.Last.FinishedAt.After(*st.LastFinishedAt)) {
			started, finished := c.Last.StartedAt.UTC(), c.Last.FinishedAt.UTC()
			st.LastStartedAt, st.LastFinishedAt = &started, &finished
		}
		if c.Running {
			if st.PID == 0 {
				st.PID = c.PID
				t := c.StartedAt.UTC()
				st.StartedAt = &t
			}
			continue
		}
		if st.Reason == "" {
			st.Reason, st.Message = c.Reason, c.Message
		}
	}
	if !everRan {
		st.Phase = "Pending"
	}
	if st.Ready && !readySince.IsZero() {
		t := readySince.UTC()
		st.ReadySince = &t
	}
	return st
}

// statusChanged rewrites the status file if it changed.
func (a *agent) statusChanged() {
	a.statusMu.Lock()
	defer a.statusMu.Unlock()
	a.mu.Lock()
	var list []PodStatus
	runs := map[string]bool{} // files a pod runs from
	for _, w := range a.pods {
		list = append(list, w.status())
		runs[w.file] = true
	}
	// A file that became invalid keeps its pod until the next re-read:
	// the pod is what the status shows.
	for _, m := range a.invalid {
		if !runs[m.File] {
			list = append(list, PodStatus{Name: strings.TrimSuffix(m.File, filepath.Ext(m.File)), Manifest: m.File, Phase: "Failed", Reason: reasonInvalidManifest, Message: m.Err.Error()})
		}
	}
	for _, m := range a.valid {
		if !runs[m.File] {
			list = append(list, a.notRunning(m))
		}
	}
	a.mu.Unlock()
	sort.Slice(list, func(i, j int) bool { return list[i].Manifest < list[j].Manifest })
	if list == nil {
		list = []PodStatus{}
	}
	data, _ := json.MarshalIndent(list, "", "  ")
	data = append(data, '\n')
	if string(data) == string(a.lastStatus) {
		return
	}
	if err := atomicfile.WriteFile(a.cfg.StatusFile, data, 0o644); err != nil {
		a.logOnce("status", "writing status file: %v", err)
		return
	}
	a.lastStatus = data
}

// notRunning is the status of a file whose pod does not run because
// another file defines the same pod. Called with a.mu held.
func (a *agent) notRunning(m manifest) PodStatus {
	st := PodStatus{Name: m.Pod.Name, Namespace: m.Pod.Namespace, Manifest: m.File, Phase: "Pending", Reason: reasonDuplicatePodName}
	if w := a.pods[m.key()]; w != nil {
		st.Message = fmt.Sprintf("pod %s runs from %s: the kubelet keeps one pod per name, and of two files the last read wins (the last in name order at each re-read of the directory, every %s, or the last changed since)",
			m.key(), w.file, a.cfg.fileCheckFrequency())
	} else {
		st.Message = fmt.Sprintf("pod %s does not run: a file that also defined it was removed, and the kubelet runs it again at its next re-read of the directory (every %s)",
			m.key(), a.cfg.fileCheckFrequency())
	}
	return st
}
