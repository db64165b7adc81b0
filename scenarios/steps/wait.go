package steps

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/ckat/ckat/labs"
)

// pollInterval is how often waits look again.
const pollInterval = time.Second

// WaitAPIServerReady polls the API server's /readyz until it answers ok.
func WaitAPIServerReady(ctx context.Context, cfg *rest.Config, timeout time.Duration) error {
	c, err := kubernetes.NewForConfig(withTimeout(cfg, 5*time.Second))
	if err != nil {
		return err
	}
	var last error
	return poll(ctx, timeout, func(ctx context.Context) (bool, error) {
		body, err := c.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err == nil && string(body) == "ok" {
			return true, nil
		}
		if err != nil {
			last = err
		} else {
			last = fmt.Errorf("/readyz said %q", body)
		}
		return false, nil
	}, func() error { return fmt.Errorf("the API server was not ready within %s: %v", timeout, last) })
}

// WaitAPIServerNotReady polls until the API server's /readyz stops
// answering ok: a setup step broke the control plane and the node has
// restarted the API server with the fault.
func WaitAPIServerNotReady(ctx context.Context, cfg *rest.Config, timeout time.Duration) error {
	c, err := kubernetes.NewForConfig(withTimeout(cfg, 3*time.Second))
	if err != nil {
		return err
	}
	return poll(ctx, timeout, func(ctx context.Context) (bool, error) {
		body, err := c.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err != nil || string(body) != "ok", nil
	}, func() error { return fmt.Errorf("the API server was still ready after %s", timeout) })
}

// WaitEtcdHealthy polls `etcdctl endpoint health` on the node.
func WaitEtcdHealthy(ctx context.Context, node labs.Node, timeout time.Duration) error {
	var last error
	return poll(ctx, timeout, func(ctx context.Context) (bool, error) {
		last = exec(ctx, node, etcdctlArgs("endpoint", "health", "--command-timeout=3s"))
		return last == nil, nil
	}, func() error { return fmt.Errorf("etcd was not healthy within %s: %v", timeout, last) })
}

// WaitEtcdDown polls until `etcdctl endpoint health` fails on the node.
func WaitEtcdDown(ctx context.Context, node labs.Node, timeout time.Duration) error {
	return poll(ctx, timeout, func(ctx context.Context) (bool, error) {
		return exec(ctx, node, etcdctlArgs("endpoint", "health", "--command-timeout=1s", "--dial-timeout=1s")) != nil, nil
	}, func() error { return fmt.Errorf("etcd still answered after %s", timeout) })
}

func poll(ctx context.Context, timeout time.Duration, try func(context.Context) (bool, error), timedOut func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := try(ctx)
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return timedOut()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}

func withTimeout(cfg *rest.Config, d time.Duration) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.Timeout = d
	return c
}
