package store

import (
	"context"

	"gorm.io/gorm"
)

// Writes go through one goroutine that owns the single write connection and
// commits them in groups: whatever writes are waiting when a transaction
// starts share it, each in its own savepoint so that one failing write
// rolls back alone. Writers therefore queue instead of failing with
// SQLITE_BUSY, and the per-commit cost (WAL append, locks) is shared when
// many arrive at once. A caller's write returns only after its group
// committed.

// maxGroup bounds how many writes share one transaction.
const maxGroup = 128

type writeReq struct {
	ctx  context.Context
	fn   func(tx *gorm.DB) error
	done chan error
}

// tx runs fn in a write transaction (possibly shared with other writes, in
// a savepoint of its own) and returns after the commit.
func (db *DB) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case db.writes <- req:
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, wait for the outcome even if ctx ends: the write may
	// already be committed and the caller must not be told otherwise.
	return <-req.done
}

func (db *DB) writer() {
	defer close(db.done)
	group := make([]*writeReq, 0, maxGroup)
	for first := range db.writes {
		group = append(group[:0], first)
	fill:
		for len(group) < maxGroup {
			select {
			case req, ok := <-db.writes:
				if !ok {
					break fill
				}
				group = append(group, req)
			default:
				break fill
			}
		}
		db.commitGroup(group)
	}
}

// commitGroup runs the group in one transaction on the writer's own
// connection. Transactions are begun with plain SQL rather than through
// database/sql's Tx, so the connection's prepared statements are reused
// from one transaction to the next instead of being prepared again.
func (db *DB) commitGroup(group []*writeReq) {
	live := group[:0:0]
	for _, req := range group {
		if err := req.ctx.Err(); err != nil {
			req.done <- err
			continue
		}
		live = append(live, req)
	}
	if len(live) == 0 {
		return
	}
	bg := func(sql string) error { return execSQL(db.wconn, sql) }
	if err := bg("BEGIN IMMEDIATE"); err != nil {
		for _, req := range live {
			req.done <- translate(err)
		}
		return
	}
	results := make([]error, len(live))
	if len(live) == 1 {
		results[0] = translate(live[0].fn(db.wconn.WithContext(live[0].ctx)))
		if results[0] != nil {
			bg("ROLLBACK")
			live[0].done <- results[0]
			return
		}
	} else {
		for i, req := range live {
			// A savepoint per write: on error only this write is undone.
			if err := bg("SAVEPOINT w"); err != nil {
				results[i] = translate(err)
				continue
			}
			if err := req.fn(db.wconn.WithContext(req.ctx)); err != nil {
				results[i] = translate(err)
				bg("ROLLBACK TO w")
			}
			bg("RELEASE w")
		}
	}
	if err := bg("COMMIT"); err != nil {
		bg("ROLLBACK")
		for i := range results {
			if results[i] == nil {
				results[i] = translate(err)
			}
		}
	}
	for i, req := range live {
		req.done <- results[i]
	}
}

// execSQL runs a statement without arguments straight on tx's connection
// (a prepared statement of the writer's), skipping gorm's callback chain:
// transaction control is a third of the writer's statements.
func execSQL(tx *gorm.DB, sql string) error {
	_, err := tx.Statement.ConnPool.ExecContext(context.Background(), sql)
	return err
}
