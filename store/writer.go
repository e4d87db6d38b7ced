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

// commitGroup runs the group in one transaction.
func (db *DB) commitGroup(group []*writeReq) {
	results := make([]error, len(group))
	if len(group) == 1 {
		req := group[0]
		if err := req.ctx.Err(); err != nil {
			req.done <- err
			return
		}
		req.done <- translate(db.write.WithContext(req.ctx).Transaction(req.fn))
		return
	}
	err := db.write.Transaction(func(tx *gorm.DB) error {
		for i, req := range group {
			if err := req.ctx.Err(); err != nil {
				results[i] = err
				continue
			}
			// A nested Transaction is a savepoint: on error only this
			// write is rolled back.
			results[i] = translate(tx.WithContext(req.ctx).Transaction(req.fn))
		}
		return nil
	})
	for i, req := range group {
		switch {
		case err != nil && results[i] == nil:
			req.done <- translate(err)
		default:
			req.done <- results[i]
		}
	}
}
