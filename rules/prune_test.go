package rules

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/memoria-app/memoria/store"
	"github.com/memoria-app/memoria/store/storetest"
)

// fakeClock is a Clock the test moves: After hands the test the wait it
// was asked for and returns a channel the test fires.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiting chan time.Duration
	fire    chan time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.waiting <- d
	return c.fire
}

// TestRunPrunerKeepsAWeek: the pruner prunes at start and then at every
// interval, removing ingest records once they are older than the
// retention and keeping younger ones.
func TestRunPrunerKeepsAWeek(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	db, err := store.Open(ctx, dir, store.Options{URL: storetest.URL(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := NewRules(db, dir, Config{BcryptCost: 4})
	if err != nil {
		t.Fatal(err)
	}
	u := store.User{Username: "u", PasswordHash: "x", Role: store.RoleUser}
	if err := db.CreateUser(ctx, &u, nil); err != nil {
		t.Fatal(err)
	}
	actor := &Actor{User: u, Source: store.SourceTelegram}
	ingest := func(key, group string) {
		t.Helper()
		out := r.IngestBatch(ctx, []IngestItem{{Actor: actor, Input: IngestInput{Key: key, GroupKey: group, Content: "c"}}})
		if out[0].Err != nil {
			t.Fatal(out[0].Err)
		}
	}
	has := func(key string) bool {
		t.Helper()
		ok, err := r.Ingested(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	ingest("first", "album-1")
	start := time.Now()
	clock := &fakeClock{now: start.Add(IngestRetention + time.Minute), waiting: make(chan time.Duration), fire: make(chan time.Time)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.RunPruner(ctx, slog.New(slog.DiscardHandler), clock)
	}()
	// The round at start: "first" is past the retention.
	if d := <-clock.waiting; d != PruneInterval {
		t.Fatalf("waits %v between rounds, want %v", d, PruneInterval)
	}
	if has("first") {
		t.Fatal("a record older than the retention survived the round at start")
	}

	ingest("second", "album-2")
	clock.set(time.Now().Add(IngestRetention - time.Hour))
	clock.fire <- time.Time{}
	<-clock.waiting
	if !has("second") {
		t.Fatal("a record younger than the retention was pruned")
	}

	clock.set(time.Now().Add(IngestRetention + time.Second))
	clock.fire <- time.Time{}
	<-clock.waiting
	if has("second") {
		t.Fatal("the hourly round did not prune a record past the retention")
	}
	// The album's group went with it: a later item makes a new memo.
	out := r.IngestBatch(ctx, []IngestItem{{Actor: actor, Input: IngestInput{Key: "third", GroupKey: "album-2", Content: "c"}}})
	if out[0].Err != nil || out[0].Result.Appended {
		t.Fatalf("item of a pruned album: %+v", out[0])
	}

	cancel()
	<-done
}
