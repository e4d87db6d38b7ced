package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/memoria-app/memoria/store"
	"github.com/memoria-app/memoria/store/storetest"
)

// countingObserver adds up what a WriteObserver hears.
type countingObserver struct {
	mu             sync.Mutex
	groups, writes int
	syncs          int
	negative       bool // a sync reported with a negative duration
}

func (o *countingObserver) GroupCommitted(writes int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.groups++
	o.writes += writes
}

func (o *countingObserver) Synced(took time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.syncs++
	o.negative = o.negative || took < 0
}

// TestWriteObserverAgreesWithWriteStats: the observer hears of every
// commit group (with its writes) and every sync, in step with WriteStats,
// under concurrent writers that share groups.
func TestWriteObserverAgreesWithWriteStats(t *testing.T) {
	ctx := context.Background()
	obs := &countingObserver{}
	db, err := store.Open(ctx, t.TempDir(), store.Options{Observer: obs, URL: storetest.URL(t)})
	if err != nil {
		t.Fatal(err)
	}
	base := db.WriteStats() // migrations and the like, before the writes below
	obs.mu.Lock()
	baseGroups, baseWrites, baseSyncs := obs.groups, obs.writes, obs.syncs
	obs.mu.Unlock()

	const writers, each = 8, 25
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := db.SetCursor(ctx, fmt.Sprintf("test:%d", w), int64(i)); err != nil {
					t.Errorf("SetCursor: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	st := db.WriteStats()
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if got, want := obs.writes-baseWrites, writers*each; got != want || uint64(got) != st.Writes-base.Writes {
		t.Errorf("observed writes = %d, want %d (WriteStats: %d)", got, want, st.Writes-base.Writes)
	}
	if got := obs.groups - baseGroups; uint64(got) != st.Commits-base.Commits || got == 0 {
		t.Errorf("observed groups = %d, WriteStats commits = %d", got, st.Commits-base.Commits)
	}
	if got := obs.syncs - baseSyncs; uint64(got) != st.Syncs-base.Syncs || got == 0 {
		t.Errorf("observed syncs = %d, WriteStats syncs = %d", got, st.Syncs-base.Syncs)
	}
	if obs.negative {
		t.Error("a sync was reported with a negative duration")
	}
}
