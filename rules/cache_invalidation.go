package rules

import "github.com/memoria-app/memoria/store"

// Caches across processes. The auth cache (auth.go) and the users'
// settings cache (settings_cache.go) are kept right in-process by the
// rules that change what they hold. When other processes share the
// database, their changes arrive as store invalidations (store.
// OnInvalidate), committed with the change itself, and are applied here.
// Should a process miss some (its listener was cut off for minutes), the
// store says InvalidateAll; auth entries also expire after authCacheTTL
// whatever happens.

// invalidate applies a change made by any process to the caches.
func (r *Rules) invalidate(inv store.Invalidation) {
	switch inv.Kind {
	case store.InvalidateToken:
		r.auth.dropToken(inv.TokenHash)
	case store.InvalidateUser:
		r.auth.dropUser(inv.UserID)
		r.settings.forget(inv.UserID)
	case store.InvalidateUserSettings:
		r.settings.forget(inv.UserID)
	default:
		r.auth.clear()
		r.settings.forgetAll()
	}
}

// dropToken forgets one token.
func (c *authCache) dropToken(hash []byte) {
	if len(hash) != 32 {
		c.clear()
		return
	}
	c.mu.Lock()
	c.gen++
	delete(c.m, [32]byte(hash))
	c.mu.Unlock()
}

// dropUser forgets every token of the user.
func (c *authCache) dropUser(userID int64) {
	c.mu.Lock()
	c.gen++
	for k, e := range c.m {
		if e.user.ID == userID {
			delete(c.m, k)
		}
	}
	c.mu.Unlock()
}

// forgetAll drops every user's settings.
func (c *settingsCache) forgetAll() {
	c.mu.Lock()
	c.gen++
	clear(c.m)
	c.mu.Unlock()
}
