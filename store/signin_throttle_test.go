package store

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/memoria-app/memoria/store/internal/testdb"
)

func TestSignInThrottleState(t *testing.T) {
	db := openSQLiteTestDB(t)
	ctx := context.Background()
	now := time.Now().Truncate(time.Microsecond)
	bump := func(st *SignInState) error {
		st.Account = FailureCount{Failures: st.Account.Failures + 1, Last: now}
		st.Addr = FailureCount{Failures: st.Addr.Failures + 2, Last: now}
		return nil
	}
	for range 3 {
		if err := db.UpdateSignInThrottle(ctx, "alice", "10.0.0.1", bump); err != nil {
			t.Fatal(err)
		}
	}
	var got SignInState
	read := func(st *SignInState) error { got = *st; return nil }
	if err := db.UpdateSignInThrottle(ctx, "alice", "10.0.0.1", read); err != nil {
		t.Fatal(err)
	}
	if got.Account.Failures != 3 || got.Addr.Failures != 6 || !got.Account.Last.Equal(now) || !got.Known.IsZero() {
		t.Fatalf("state = %+v", got)
	}
	// Counters are per key: another address starts at zero, the account is shared.
	if err := db.UpdateSignInThrottle(ctx, "alice", "10.0.0.2", read); err != nil {
		t.Fatal(err)
	}
	if got.Account.Failures != 3 || got.Addr.Failures != 0 {
		t.Fatalf("other address: %+v", got)
	}
	// Known pairs, and an empty key is not tracked.
	if err := db.UpdateSignInThrottle(ctx, "alice", "10.0.0.1", func(st *SignInState) error { st.Known = now; st.Account = FailureCount{}; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateSignInThrottle(ctx, "alice", "10.0.0.1", read); err != nil {
		t.Fatal(err)
	}
	if !got.Known.Equal(now) || got.Account.Failures != 0 || got.Addr.Failures != 6 {
		t.Fatalf("after success: %+v", got)
	}
	if err := db.UpdateSignInThrottle(ctx, "", "", func(st *SignInState) error { *st = SignInState{Account: FailureCount{Failures: 9}}; return nil }); err != nil {
		t.Fatal(err)
	}
	// Pruning.
	n, err := db.PruneSignInThrottle(ctx, now.Add(time.Second), now)
	if err != nil || n == 0 {
		t.Fatalf("prune = %d, %v", n, err)
	}
	if err := db.UpdateSignInThrottle(ctx, "alice", "10.0.0.1", read); err != nil {
		t.Fatal(err)
	}
	if got.Addr.Failures != 0 || !got.Known.Equal(now) {
		t.Fatalf("after prune: %+v", got)
	}
}

// TestSignInThrottleConcurrentPostgres: attempts racing on several
// connections are decided one after another: a limit of 10 lets exactly
// 10 through.
func TestSignInThrottleConcurrentPostgres(t *testing.T) {
	g := openPGGorm(t, testdb.PostgresURL(t))
	if s, err := g.DB(); err == nil {
		s.SetMaxOpenConns(8)
	}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			addr := []string{"10.0.0.1", "10.0.0.2"}[i%2]
			err := g.Transaction(func(tx *gorm.DB) error {
				return updateSignInThrottle(tx, "alice", addr, func(st *SignInState) error {
					if st.Account.Failures >= 10 {
						return nil
					}
					st.Account.Failures++
					st.Account.Last = time.Now()
					st.Addr.Failures++
					allowed.Add(1)
					return nil
				})
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := allowed.Load(); n != 10 {
		t.Fatalf("%d attempts allowed, want 10", n)
	}
}
