package steps

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"

	"github.com/ckat/ckat/internal/readyz"
	"github.com/ckat/ckat/labs"
)

// etcdPollInterval is how often the etcd waits run etcdctl on the node
// again: each look is a command on the node (on kind, in its container),
// so they look less often than readyz.PollInterval.
const etcdPollInterval = time.Second

// WaitAPIServerReady polls the API server's /readyz until it answers ok.
func WaitAPIServerReady(ctx context.Context, cfg *rest.Config, timeout time.Duration) error {
	return readyz.Wait(ctx, cfg, readyz.Options{Timeout: timeout})
}

// WaitAPIServerNotReady polls until the API server's /readyz stops
// answering ok: a setup step broke the control plane and the node has
// restarted the API server with the fault.
func WaitAPIServerNotReady(ctx context.Context, cfg *rest.Config, timeout time.Duration) error {
	return readyz.WaitNotReady(ctx, cfg, timeout)
}

// WaitEtcdHealthy polls `etcdctl endpoint health` on the node.
func WaitEtcdHealthy(ctx context.Context, node labs.Node, timeout time.Duration) error {
	var last error
	return pollNode(ctx, timeout, func(ctx context.Context) bool {
		last = exec(ctx, node, etcdctlArgs("endpoint", "health", "--command-timeout=3s"))
		return last == nil
	}, func() error { return fmt.Errorf("etcd was not healthy within %s: %v", timeout, last) })
}

// WaitEtcdDown polls until `etcdctl endpoint health` fails on the node.
func WaitEtcdDown(ctx context.Context, node labs.Node, timeout time.Duration) error {
	return pollNode(ctx, timeout, func(ctx context.Context) bool {
		return exec(ctx, node, etcdctlArgs("endpoint", "health", "--command-timeout=1s", "--dial-timeout=1s")) != nil
	}, func() error { return fmt.Errorf("etcd still answered after %s", timeout) })
}

// pollNode runs done every etcdPollInterval until it returns true,
// returning timedOut's error when timeout passes first and ctx's when ctx
// ends.
func pollNode(ctx context.Context, timeout time.Duration, done func(context.Context) bool, timedOut func() error) error {
	err := wait.PollUntilContextTimeout(ctx, etcdPollInterval, timeout, true, func(ctx context.Context) (bool, error) {
		return done(ctx), nil
	})
	if err != nil && ctx.Err() == nil && wait.Interrupted(err) {
		return timedOut()
	}
	return err
}
