package kind

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/kubernetes"
)

// waitReady polls the API server's /readyz until it says ok.
func (l *lab) waitReady(ctx context.Context, limit time.Duration) error {
	cfg, err := l.RESTConfig(ctx)
	if err != nil {
		return err
	}
	cfg.Timeout = 5 * time.Second
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var last error
	for {
		_, last = cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("lab %q: the API server at %s was not ready within %s: %v", l.record.Name, cfg.Host, limit, last)
		case <-time.After(2 * time.Second):
		}
	}
}
