package rules

import (
	"context"

	"github.com/memoria-app/memoria/store"
)

// ListTags returns the actor's tags with how many of their memos carry
// each, most used first (ties by name).
func (r *Rules) ListTags(ctx context.Context) ([]store.TagCount, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	return r.db.ListTagCounts(ctx, a.User.ID)
}
