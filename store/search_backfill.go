package store

import (
	"context"
	"log/slog"

	"gorm.io/gorm"
)

// backfillChunk is how many memos a migration indexes per step (and per
// progress line).
const backfillChunk = 10000

// backfillIndex indexes every memo into an index being built, in id
// order, a step at a time, logging progress: step indexes the memos with
// ids above last, at most backfillChunk of them, and returns how many it
// indexed and the highest id it covered (hi == 0 once no memo is left).
// Both dialects' indexAll drive their own step through it.
func backfillIndex(ctx context.Context, tx *gorm.DB, log *slog.Logger, step func(last int64) (n, hi int64, err error)) error {
	var total int64
	if err := tx.Raw("SELECT COUNT(*) FROM memos").Scan(&total).Error; err != nil {
		return err
	}
	if total == 0 {
		return nil
	}
	log.InfoContext(ctx, "building the search index", "memos", total)
	var last, done int64
	for {
		n, hi, err := step(last)
		if err != nil {
			return err
		}
		if hi == 0 {
			return nil
		}
		done += n
		last = hi
		log.InfoContext(ctx, "search index progress", "indexed", done, "of", total)
	}
}
