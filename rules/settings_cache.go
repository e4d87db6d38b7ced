package rules

import (
	"context"
	"sync"

	"github.com/memoria-app/memoria/store"
)

// settingsCache remembers users' settings, which every create (the
// default visibility) and every Telegram ingest (the chat preferences)
// needs, so that these do not read them each time. A change bumps the
// generation: a read that raced with it is not cached.
type settingsCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[int64]store.UserSettings
}

func newSettingsCache() *settingsCache {
	return &settingsCache{m: map[int64]store.UserSettings{}}
}

// get returns the user's settings, reading them on a miss.
func (c *settingsCache) get(ctx context.Context, db *store.DB, userID int64) (store.UserSettings, error) {
	c.mu.Lock()
	v, ok := c.m[userID]
	gen := c.gen
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	us, err := db.GetUserSettings(ctx, userID)
	if err != nil {
		return store.UserSettings{}, err
	}
	c.mu.Lock()
	if c.gen == gen {
		if len(c.m) > 100000 {
			clear(c.m)
		}
		c.m[userID] = us
	}
	c.mu.Unlock()
	return us, nil
}

// forget drops a user's entry after their settings changed (or they were
// deleted).
func (c *settingsCache) forget(userID int64) {
	c.mu.Lock()
	c.gen++
	delete(c.m, userID)
	c.mu.Unlock()
}
