package rules

import (
	"context"
	"sync"
	"time"

	"github.com/memoria-app/memoria/store"
)

// dbThrottle is the SignInThrottle of processes sharing a database: the
// same policy as memoryThrottle (the ThrottleConfig methods), with the
// counters in the store, which decides each attempt under a lock held
// across processes (store.UpdateSignInThrottle). A database has no
// memory bound to keep, so MaxEntries does not apply; stale counters are
// pruned about hourly instead.
type dbThrottle struct {
	db  *store.DB
	cfg ThrottleConfig

	mu        sync.Mutex
	lastPrune time.Time
}

// NewDBSignInThrottle returns a throttle whose counters live in db, shared
// by every process that opens it.
func NewDBSignInThrottle(db *store.DB, cfg ThrottleConfig) SignInThrottle {
	return &dbThrottle{db: db, cfg: cfg.withDefaults()}
}

// count converts a stored counter, forgetting a stale one (nil).
func (t *dbThrottle) count(c store.FailureCount, maxLock time.Duration, now time.Time) *failureCount {
	if c.Failures == 0 {
		return nil
	}
	f := &failureCount{n: c.Failures, last: c.Last}
	if t.cfg.stale(f, maxLock, now) {
		return nil
	}
	return f
}

// failed is f with one more failure at now.
func failed(f *failureCount, now time.Time) store.FailureCount {
	n := 1
	if f != nil {
		n = f.n + 1
	}
	return store.FailureCount{Failures: n, Last: now}
}

func (t *dbThrottle) Attempt(ctx context.Context, account, addr string, now time.Time) (time.Time, bool, error) {
	t.prune(ctx, now)
	var retry time.Time
	var ok bool
	err := t.db.UpdateSignInThrottle(ctx, account, addr, func(st *store.SignInState) error {
		retry, ok = time.Time{}, false
		acc := t.count(st.Account, t.cfg.MaxAccountLockout, now)
		ad := t.count(st.Addr, t.cfg.MaxAddressLockout, now)
		known := addr != "" && !st.Known.IsZero() && now.Sub(st.Known) <= t.cfg.KnownFor
		if account != "" && !known {
			if u := t.cfg.lockedUntil(acc, t.cfg.MaxAccountLockout); u.After(now) {
				retry = u
			}
		}
		if addr != "" {
			if u := t.cfg.lockedUntil(ad, t.cfg.MaxAddressLockout); u.After(now) && u.After(retry) {
				retry = u
			}
		}
		if !retry.IsZero() {
			return nil // refused: nothing counts
		}
		if account != "" {
			st.Account = failed(acc, now)
		}
		if addr != "" {
			st.Addr = failed(ad, now)
		}
		ok = true
		return nil
	})
	if err != nil {
		return time.Time{}, false, err
	}
	return retry, ok, nil
}

func (t *dbThrottle) Succeeded(ctx context.Context, account, addr string, now time.Time) error {
	return t.db.UpdateSignInThrottle(ctx, account, addr, func(st *store.SignInState) error {
		if account != "" {
			st.Account = store.FailureCount{}
		}
		if addr != "" && st.Addr.Failures > 0 {
			st.Addr.Failures--
		}
		if account != "" && addr != "" {
			st.Known = now
		}
		return nil
	})
}

// prune forgets, about once an hour, counters quiet for longer than any
// lock-out and window, and known addresses past KnownFor.
func (t *dbThrottle) prune(ctx context.Context, now time.Time) {
	t.mu.Lock()
	due := now.Sub(t.lastPrune) >= time.Hour
	if due {
		t.lastPrune = now
	}
	t.mu.Unlock()
	if !due {
		return
	}
	quiet := t.cfg.Window + max(t.cfg.MaxAccountLockout, t.cfg.MaxAddressLockout)
	_, _ = t.db.PruneSignInThrottle(ctx, now.Add(-quiet), now.Add(-t.cfg.KnownFor))
}
