package rules

import (
	"context"
	"testing"
	"time"

	"github.com/memoria-app/memoria/store"
	"github.com/memoria-app/memoria/store/storetest"
)

// TestInvalidationsFromOtherProcesses: a change made behind these rules'
// back (by another process) leaves the caches stale until its
// invalidation arrives, and then not a moment longer.
func TestInvalidationsFromOtherProcesses(t *testing.T) {
	ctx := context.Background()
	for name, tc := range map[string]struct {
		change func(r *Rules, u store.User, tok string) store.Invalidation
		// authGone: the token must no longer authenticate.
		authGone bool
	}{
		"token revoked": {func(r *Rules, u store.User, tok string) store.Invalidation {
			if err := r.db.DeleteTokenByHash(ctx, hashSecret(tok)); err != nil {
				t.Fatal(err)
			}
			return store.Invalidation{Kind: store.InvalidateToken, TokenHash: hashSecret(tok)}
		}, true},
		"user's tokens revoked": {func(r *Rules, u store.User, tok string) store.Invalidation {
			if err := r.db.DeleteTokenByHash(ctx, hashSecret(tok)); err != nil {
				t.Fatal(err)
			}
			return store.Invalidation{Kind: store.InvalidateUser, UserID: u.ID}
		}, true},
		"missed changes": {func(r *Rules, u store.User, tok string) store.Invalidation {
			if err := r.db.DeleteTokenByHash(ctx, hashSecret(tok)); err != nil {
				t.Fatal(err)
			}
			return store.Invalidation{Kind: store.InvalidateAll}
		}, true},
		"settings changed": {func(r *Rules, u store.User, tok string) store.Invalidation {
			if _, err := r.db.UpdateUserSettings(ctx, u.ID, func(s *store.UserSettings) error { s.DefaultVisibility = store.VisibilityPublic; return nil }); err != nil {
				t.Fatal(err)
			}
			return store.Invalidation{Kind: store.InvalidateUserSettings, UserID: u.ID}
		}, false},
	} {
		t.Run(name, func(t *testing.T) {
			r := newTestRules(t, Config{})
			u, tok := signUpT(t, r, "alice")
			if _, err := r.Authenticate(ctx, tok, store.SourceAPI); err != nil { // cached now
				t.Fatal(err)
			}
			before, err := r.settings.get(ctx, r.db, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			inv := tc.change(r, u, tok)
			if storetest.OnPostgres(t) {
				// On PostgreSQL the store's own change log carries the
				// invalidation back to this process, as to every other one:
				// no hand delivery needed, only a short wait for the
				// listener.
				deadline := time.Now().Add(2 * time.Second)
				for time.Now().Before(deadline) {
					_, aerr := r.Authenticate(ctx, tok, store.SourceAPI)
					s, _ := r.settings.get(ctx, r.db, u.ID)
					if (aerr != nil) == tc.authGone && (name != "settings changed" || s.DefaultVisibility == store.VisibilityPublic) {
						break
					}
					time.Sleep(10 * time.Millisecond)
				}
			} else {
				// On SQLite nothing but this call invalidates: the caches must
				// still be stale here, or the test proves nothing.
				if _, err := r.Authenticate(ctx, tok, store.SourceAPI); err != nil {
					t.Fatalf("the cache was not in use (%v): this test would prove nothing", err)
				}
				if s, _ := r.settings.get(ctx, r.db, u.ID); s != before {
					t.Fatal("the settings cache was not in use: this test would prove nothing")
				}
				r.invalidate(inv)
			}
			_, err = r.Authenticate(ctx, tok, store.SourceAPI)
			if tc.authGone && err == nil {
				t.Fatal("a revoked token still authenticates after its invalidation")
			}
			if !tc.authGone && err != nil {
				t.Fatalf("an unrelated invalidation broke authentication: %v", err)
			}
			after, err := r.settings.get(ctx, r.db, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if name == "settings changed" && after.DefaultVisibility != store.VisibilityPublic {
				t.Fatalf("settings still stale after the invalidation: %+v", after)
			}
		})
	}
}

// TestInvalidationRacesLookup: an invalidation arriving between a token
// lookup's read and its cache put keeps the result out of the cache.
func TestInvalidationRacesLookup(t *testing.T) {
	ctx := context.Background()
	r := newTestRules(t, Config{})
	u, tok := signUpT(t, r, "alice")
	r.auth.afterRead = func() { r.invalidate(store.Invalidation{Kind: store.InvalidateUser, UserID: u.ID}) }
	if _, err := r.Authenticate(ctx, tok, store.SourceAPI); err != nil {
		t.Fatal(err)
	}
	r.auth.afterRead = nil
	if _, ok, _ := r.auth.get(hashSecret(tok)); ok {
		t.Fatal("a lookup raced by an invalidation was cached")
	}
}
