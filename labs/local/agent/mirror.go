package agent

import "context"

// syncAPI keeps the Node object and the mirror pods in the API server.
func (a *agent) syncAPI(ctx context.Context) { <-ctx.Done() }
