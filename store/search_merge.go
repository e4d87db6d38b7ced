package store

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"gorm.io/gorm"
)

// Every commit group adds a segment to the FTS4 index, and FTS4 merges
// them only 16 at a time, so an index written in many small groups holds
// dozens of segments, and every search looks its words up in each: a
// common word's page cost 0.64 ms with 20–34 segments against 0.34 ms with
// one to three (BenchmarkSearchCommonWord). Merging more eagerly while
// writing would slow the writes, which have no time to spare (see
// docs/search.md), so the store merges when nobody writes: once the
// writer has been idle for searchMergeIdle, it runs bounded steps of
// FTS4's incremental merge ('merge=X,Y') as ordinary writes — a write
// that arrives meanwhile waits for one step at most — until FTS4 reports
// nothing left to merge.

// searchMergeIdle is how long the writer must have been idle before a
// merge step, and how often it is checked.
const searchMergeIdle = 2 * time.Second

// searchMergeMinSegments is the segment count below which merging is not
// worth a write.
const searchMergeMinSegments = 4

// mergeSearchIndexWhenIdle runs until stop is closed.
func (db *DB) mergeSearchIndexWhenIdle(every time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(every)
	defer t.Stop()
	last, done := db.writesRun.Load(), false
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		now := db.writesRun.Load()
		if now != last { // written since the last look: not idle
			last, done = now, false
			continue
		}
		if done {
			continue
		}
		more, err := db.mergeSearchStep(context.Background())
		if errors.Is(err, ErrClosed) {
			return
		}
		if err != nil {
			slog.Warn("merging the search index", "err", err)
		}
		last, done = db.writesRun.Load(), err != nil || !more
	}
}

// mergeSearchStep does one bounded step of merging and reports whether
// more remains.
func (db *DB) mergeSearchStep(ctx context.Context) (bool, error) {
	var segments int64
	if err := db.r(ctx).Raw("SELECT COUNT(*) FROM memo_search_segdir").Scan(&segments).Error; err != nil {
		return false, translate(err)
	}
	if segments < searchMergeMinSegments {
		return false, nil
	}
	var changes int64
	err := db.tx(ctx, func(tx *gorm.DB) error {
		// At most 400 leaf blocks of work (a few ms), merging 4 segments
		// of a level at a time. FTS4 sets changes() below 2 when it
		// found nothing more to merge.
		res := tx.Exec("INSERT INTO memo_search(memo_search) VALUES ('merge=400,4')")
		changes = res.RowsAffected
		return res.Error
	})
	return changes >= 2, err
}
