package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
)

// DeleteOnceResult says what DeleteMemoOnce did.
type DeleteOnceResult struct {
	// Paths are the storage paths of the deleted memo's files, for the
	// caller to remove (none when Duplicate).
	Paths []string
	// Duplicate: the key was applied already and nothing changed. MemoID
	// is then the memo that the first application deleted (0 if unknown).
	Duplicate bool
	MemoID    int64
}

// DeleteMemoOnce deletes memo id and records the ingest key in one
// transaction, so that an externally delivered "delete" (a Telegram
// /undo) is applied exactly once: delivered again, its key is found and
// nothing is deleted. A memo that is gone is ErrNotFound, and the key is
// then not recorded.
//
// memo event: deleted
func (db *DB) DeleteMemoOnce(ctx context.Context, id int64, key string) (DeleteOnceResult, error) {
	var out DeleteOnceResult
	if key == "" {
		return out, errors.New("delete once: empty key")
	}
	events := db.memoChanges()
	err := db.tx(ctx, func(tx *gorm.DB) error {
		out = DeleteOnceResult{}
		var seen idempotencyKeyRow
		err := tx.Take(&seen, "key = ?", key).Error
		if err == nil {
			out.Duplicate = true
			if seen.MemoID != nil {
				out.MemoID = *seen.MemoID
			}
			return nil
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		if out.Paths, err = deleteMemoTx(tx, events, id); err != nil {
			return err
		}
		// MemoID names the memo the key deleted (the memo is gone: no
		// duplicate lookup in ingestOne ever sees this key).
		return tx.Create(&idempotencyKeyRow{Key: key, MemoID: &id, CreatedAt: micros(time.Now())}).Error
	})
	events.settle(err)
	if err != nil {
		return DeleteOnceResult{}, translate(err)
	}
	return out, nil
}

// AppliedKey reports whether an ingest key was applied, and the memo it
// names (the memo it created, or for DeleteMemoOnce the one it deleted; 0
// if none).
func (db *DB) AppliedKey(ctx context.Context, key string) (applied bool, memoID int64, err error) {
	var row idempotencyKeyRow
	err = db.r(ctx).Take(&row, "key = ?", key).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, translate(err)
	}
	if row.MemoID != nil {
		memoID = *row.MemoID
	}
	return true, memoID, nil
}
