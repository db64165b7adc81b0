package next

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/client-go/rest"

	"github.com/ckat/ckat/internal/cli"
	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs"
	"github.com/ckat/ckat/scenarios"
	"github.com/ckat/ckat/scenarios/session"
)

// notReadyLab is a running lab whose API server never becomes ready.
type notReadyLab struct {
	labs.Lab
	url string
}

func (l notReadyLab) Name() string    { return "exam" }
func (l notReadyLab) Node() labs.Node { return nil }
func (l notReadyLab) RESTConfig(context.Context) (*rest.Config, error) {
	return &rest.Config{Host: l.url}, nil
}

// TestNextInterrupted: `ckat next` waiting for an API server that does not
// come returns soon after its context ends, says where the lab stays, and
// leaves the stage as it was.
func TestNextInterrupted(t *testing.T) {
	var polls atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		polls.Add(1)
		http.Error(w, "[-]etcd failed", http.StatusServiceUnavailable)
	}))
	defer api.Close()
	sc := &scenarios.Scenario{
		Metadata: scenarios.Metadata{Name: "incident"},
		Stages: []scenarios.Stage{
			{Name: "backup", Next: []scenarios.Step{{WaitFor: &scenarios.WaitForStep{Condition: scenarios.ConditionAPIServerReady, Timeout: "10m"}}}},
			{Name: "repair"},
		},
	}
	s := &session.Session{
		Lab: notReadyLab{url: api.URL}, Source: sc, Rendered: sc, Logger: log.NoOp(),
		State: scenarios.State{Scenario: "incident", Stage: "backup"},
	}
	open := func(context.Context, string, *log.Logger) (*session.Session, error) { return s, nil }

	var out bytes.Buffer
	cmd := newCommand(log.NoOp(), cli.Streams{In: strings.NewReader(""), Out: &out, Err: &out}, open)
	cmd.SetArgs(nil)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// Cancel once the wait has looked at the API server.
		for polls.Load() == 0 {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	began := time.Now()
	err := cmd.ExecuteContext(ctx)
	require.Less(t, time.Since(began), 10*time.Second, "ckat next went on waiting after its context ended")
	require.EqualError(t, err, `lab "exam" stays at stage "backup"; 'ckat next' runs the steps to the next stage again: context canceled`)
	require.True(t, errors.Is(err, context.Canceled))
	require.Equal(t, "backup", s.State.Stage)
	require.Empty(t, out.String())
}
