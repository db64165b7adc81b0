package session

import (
	"context"

	"github.com/ckat/ckat/internal/log"
	"github.com/ckat/ckat/labs/providers"
)

// OpenLab opens the session of the lab a command acts on: labName, else
// $CKAT_LAB, else the only lab.
func OpenLab(ctx context.Context, labName string, logger *log.Logger) (*Session, error) {
	lab, err := providers.Open(ctx, labName, providers.WithLogger(logger))
	if err != nil {
		return nil, err
	}
	return Open(ctx, lab, logger)
}
