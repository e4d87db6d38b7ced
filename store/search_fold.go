package store

import (
	"fmt"
	"log/slog"
	"time"
)

// Folding SQLite's search queue into FTS (see sqliteSearchSchema). The
// writer folds in a transaction of its own, between commit groups: once
// searchFoldBatch writes have committed since the last fold, before it
// begins the next group (so the fold overlaps the sync of the previous
// one, though it holds up the next group), and once it has had memos
// queued and no write for searchFoldIdle. In batches of hundreds FTS
// costs a third of what it costs per memo in commit groups of a handful,
// and the writer bounds write throughput (docs/benchmarks.md).
//
// A fold is not a write anyone waits for: it is neither synced nor
// counted as a commit. It needs no sync of its own: the fold is atomic,
// a crash that loses it leaves the memos queued (Open folds them), and
// the next group's sync covers it (the log is synced as a whole). A
// failed fold is rolled back and logged, and the memos stay queued —
// still found, matched in Go (search_pending.go) — until a later fold:
// the next batch's, or the writer's retry when no write comes.

// searchFoldBatch is how many writes commit between two folds under
// sustained writes.
const searchFoldBatch = 512

// searchFoldIdle is how long the writer waits for a write, with memos
// queued, before it folds them.
const searchFoldIdle = 20 * time.Millisecond

// searchFoldRetryMax bounds the wait before the writer tries a failed
// fold again when no write comes (the wait doubles from searchFoldIdle
// with each failure); searchFoldLogEvery spaces out the warnings of a
// fold that keeps failing.
const (
	searchFoldRetryMax = 5 * time.Second
	searchFoldLogEvery = 30 * time.Second
)

// foldSearch folds the queue into FTS in a transaction of its own on the
// writer's connection; only the writer goroutine calls it.
func (db *DB) foldSearch() {
	db.writesSinceFold = 0
	if !db.searchQueue || db.haltErr() != nil {
		db.foldRetry = 0
		return // halted: nothing more is written (Open folds the queue)
	}
	moved, err := db.foldTx()
	if err != nil {
		db.foldRetry = min(max(2*db.foldRetry, searchFoldIdle), searchFoldRetryMax)
		if time.Since(db.foldLogged) >= searchFoldLogEvery {
			db.foldLogged = time.Now()
			slog.Warn("search index: folding the queue failed; its memos stay queued and are still found, and it is retried", "err", err)
		}
		return
	}
	db.foldRetry = 0
	db.searchBodies.folded()
	db.folds.Add(1)
	db.foldedMemos.Add(uint64(moved))
}

func (db *DB) foldTx() (int, error) {
	if err := execSQL(db.wconn, "BEGIN IMMEDIATE"); err != nil {
		return 0, err
	}
	moved, err := sqliteFTS{}.fold(db.wconn, db.searchBodies.doc)
	if err == nil && db.hooks.fold != nil {
		err = db.hooks.fold()
	}
	if err == nil {
		err = execSQL(db.wconn, "COMMIT")
	}
	if err != nil {
		if db.inTx() {
			if rerr := execSQL(db.wconn, "ROLLBACK"); rerr != nil {
				// The connection's state is unknown: as runTx's rollback.
				db.halt(fmt.Errorf("rollback of a search fold failed: %w (after: %v)", rerr, err))
			}
		}
		return 0, err
	}
	return moved, nil
}

// SearchFolds reports how many folds the writer has run and how many
// memos they moved into FTS (tests and benchmarks).
func (db *DB) SearchFolds() (folds, memos uint64) {
	return db.folds.Load(), db.foldedMemos.Load()
}
