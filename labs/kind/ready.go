package kind

import (
	"context"
	"fmt"
	"time"

	"github.com/ckat/ckat/internal/readyz"
)

// waitReady polls the API server's /readyz until it says ok.
func (l *lab) waitReady(ctx context.Context, limit time.Duration) error {
	cfg, err := l.RESTConfig(ctx)
	if err != nil {
		return err
	}
	if err := readyz.Wait(ctx, cfg, readyz.Options{Timeout: limit}); err != nil {
		return fmt.Errorf("lab %q (API server %s): %w", l.record.Name, cfg.Host, err)
	}
	return nil
}
