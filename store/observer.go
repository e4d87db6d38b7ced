package store

import "time"

// WriteObserver hears of the writer's work as it happens, for monitoring
// (the app wires it to its metrics); WriteStats has the running totals.
// Its methods run on the writer's and the syncer's goroutines, between a
// commit and the answers to its callers: they must be quick and must not
// write to the store.
type WriteObserver interface {
	// GroupCommitted reports a committed transaction and how many writes
	// its group held.
	GroupCommitted(writes int)
	// Synced reports a completed sync of the log and how long it took.
	Synced(took time.Duration)
}

// nopObserver is the WriteObserver of a DB opened without one.
type nopObserver struct{}

func (nopObserver) GroupCommitted(int)   {}
func (nopObserver) Synced(time.Duration) {}
