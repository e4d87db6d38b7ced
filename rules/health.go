package rules

import "context"

// Ready reports whether the rules can serve: the database answers within
// ctx. It needs no actor (readiness probes are anonymous).
func (r *Rules) Ready(ctx context.Context) error { return r.db.Ping(ctx) }
