package store

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// writePath is how db.tx gets a write committed and durable; Open picks
// SQLite's (sqliteWriter: one writer goroutine, group commit, its own WAL
// sync) or PostgreSQL's (postgresWrites: a pool, one serializable
// transaction per write, COMMIT durable by synchronous_commit=on).
//
// Both keep the contract callers rely on: fn may run more than once (a
// group retried on SQLite, a serialization failure on PostgreSQL) and
// only its last run counts, and it must not itself write through the
// store (SQLite's writer would wait for itself; on PostgreSQL a pending
// retry would); a write whose ctx ended before it began is
// skipped and returns ctx.Err(); once begun it runs to its end under
// context.WithoutCancel, so that its caller is never told "cancelled"
// about a write that committed; the search index is kept in the write's
// transaction (PostgreSQL's flushSearch just before COMMIT, SQLite's
// queue by triggers); the WriteObserver and WriteStats hear of each
// commit and sync. What happens after db.tx returns (settling memo
// events, publishing settings, waking the inbox) is the callers', and so
// the same on both.
type writePath interface {
	// tx runs fn in a write transaction and returns once it is committed
	// and durable, or with the reason it is not.
	tx(ctx context.Context, fn func(tx *gorm.DB) error) error
	// shut runs under Close's lock, once db.closed is set: no write is
	// accepted after it.
	shut()
	// finish waits until every accepted write is answered, then releases
	// the path's own connections; release runs after the pools closed.
	finish()
	release()
}

// tx runs fn as one write; see writePath.
func (db *DB) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return db.writePath.tx(ctx, fn)
}

// committed records a commit of a group of writes (counters and observer).
func (db *DB) committed(writes int) uint64 {
	seq := db.commits.Add(1)
	db.observer.GroupCommitted(writes)
	return seq
}

// synced records a completed sync that took took.
func (db *DB) synced(took time.Duration) {
	db.observer.Synced(took)
	db.syncs.Add(1)
}
