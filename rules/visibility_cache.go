package rules

import (
	"context"
	"sync"

	"github.com/memoria-app/memoria/store"
)

// visibilityCache remembers each user's default visibility, which every
// create needs, so a create does not read the user's settings each time.
// A change bumps the generation: a read that raced with it is not cached.
type visibilityCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[int64]store.Visibility
}

func newVisibilityCache() *visibilityCache {
	return &visibilityCache{m: map[int64]store.Visibility{}}
}

// get returns the user's default visibility, reading it on a miss.
func (c *visibilityCache) get(ctx context.Context, db *store.DB, userID int64) (store.Visibility, error) {
	c.mu.Lock()
	v, ok := c.m[userID]
	gen := c.gen
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	us, err := db.GetUserSettings(ctx, userID)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	if c.gen == gen {
		if len(c.m) > 100000 {
			clear(c.m)
		}
		c.m[userID] = us.DefaultVisibility
	}
	c.mu.Unlock()
	return us.DefaultVisibility, nil
}

// forget drops a user's entry after their settings changed (or they were
// deleted).
func (c *visibilityCache) forget(userID int64) {
	c.mu.Lock()
	c.gen++
	delete(c.m, userID)
	c.mu.Unlock()
}
