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
// writer has been idle for searchMergeIdle, it runs small steps of FTS4's
// incremental merge ('merge=X,Y') as ordinary writes, one after another
// while no other write comes, until FTS4 reports nothing left to merge. A
// write that arrives meanwhile waits for one step at most (a few ms: an
// unbounded merge of a large index held the writer for a second, and
// halved the creates measured right after it).

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
		for {
			more, err := db.mergeSearchStep(context.Background())
			if errors.Is(err, ErrClosed) {
				return
			}
			if err != nil {
				slog.Warn("merging the search index", "err", err)
			}
			now := db.writesRun.Load()
			idle := now == last+1 // the step was the only write
			last, done = now, err != nil || !more
			if done || !idle {
				break
			}
			select {
			case <-stop:
				return
			default:
			}
		}
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
	var written int64
	err := db.tx(ctx, func(tx *gorm.DB) error {
		// At most 32 leaf blocks written (a few ms), merging 4 segments
		// of a level at a time. What the step wrote shows in the
		// connection's total_changes(): FTS4 documents a rise below 2 as
		// "nothing left to merge".
		var before, after int64
		if err := tx.Raw("SELECT total_changes()").Scan(&before).Error; err != nil {
			return err
		}
		if err := tx.Exec("INSERT INTO memo_search(memo_search) VALUES ('merge=32,4')").Error; err != nil {
			return err
		}
		if err := tx.Raw("SELECT total_changes()").Scan(&after).Error; err != nil {
			return err
		}
		written = after - before
		return nil
	})
	return written >= 2, err
}
