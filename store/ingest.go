package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Ingest is one externally delivered event (e.g. a Telegram update) to be
// applied exactly once: its effects and its Key commit in one transaction,
// so a redelivered event is recognised and skipped.
type Ingest struct {
	// Key identifies the event; required.
	Key string
	// GroupKey, when set, collects several events into one memo (e.g. the
	// items of a Telegram album): the first creates the memo, later ones
	// append their resources to it.
	GroupKey string
	// Memo to create (CreatorID, Content, Tags, Visibility, Source); nil
	// records the event as handled without storing anything.
	Memo *Memo
	// Resources to insert and attach, in order; their files must already be
	// in place at StoragePath.
	Resources []Resource
	// AppendTo, when set, adds Memo's content and the Resources to that
	// memo instead (or creates the memo if it is gone); see external_messages.go.
	AppendTo int64
	// EmptyContent is what a group memo's content is before any item
	// brought text (e.g. only a fixed tag): a later item's text replaces it.
	EmptyContent string
	// Messages to record as belonging to the memo, and whether to keep the
	// hash of its content (see external_messages.go).
	Messages     []ExternalMessage
	TrackContent bool
}

// IngestResult says what Ingest did.
type IngestResult struct {
	Memo      Memo // the memo created or appended to (zero if none)
	Duplicate bool // the Key was already applied; nothing changed
	Appended  bool // the event joined an existing group memo
}

// Ingest applies in exactly once; see Ingest.
func (db *DB) Ingest(ctx context.Context, in Ingest) (IngestResult, error) {
	var out IngestResult
	defer db.prepareSearch(ingestContents([]Ingest{in})...)()
	events := db.memoChanges()
	err := db.tx(ctx, func(tx *gorm.DB) error {
		var err error
		if out, err = ingestOne(tx, in); err != nil {
			return err
		}
		return events.stage(tx, ingestEvents([]IngestResult{out}, nil)...)
	})
	events.settle(err)
	return out, err
}

// ingestEvents are the memo events of applied ingests (errs[i] != nil or a
// duplicate: none).
func ingestEvents(results []IngestResult, errs []error) []MemoEvent {
	var out []MemoEvent
	for i, r := range results {
		if (errs != nil && errs[i] != nil) || r.Duplicate || r.Memo.ID == 0 {
			continue
		}
		e := MemoEvent{Type: MemoCreated, Memo: r.Memo}
		if r.Appended {
			e.Type, e.PrevVisibility = MemoUpdated, r.Memo.Visibility
		}
		out = append(out, e)
	}
	return out
}

// IngestMany applies several events in order in one transaction, each in a
// savepoint of its own: results[i] and errs[i] describe ins[i], and one
// failing event does not undo the others.
func (db *DB) IngestMany(ctx context.Context, ins []Ingest) ([]IngestResult, []error) {
	results := make([]IngestResult, len(ins))
	errs := make([]error, len(ins))
	defer db.prepareSearch(ingestContents(ins)...)()
	events := db.memoChanges()
	err := db.tx(ctx, func(tx *gorm.DB) error {
		for i, in := range ins {
			if err := execSQL(tx, "SAVEPOINT ingest"); err != nil {
				return err
			}
			results[i], errs[i] = ingestOne(tx, in)
			if errs[i] != nil {
				errs[i] = translate(errs[i])
				if endsTransaction(errs[i]) { // errors.go
					return errs[i]
				}
				if err := execSQL(tx, "ROLLBACK TO ingest"); err != nil {
					return err
				}
			}
			if err := execSQL(tx, "RELEASE ingest"); err != nil {
				return err
			}
		}
		return events.stage(tx, ingestEvents(results, errs)...)
	})
	events.settle(err)
	if err != nil {
		for i := range errs {
			if errs[i] == nil {
				errs[i], results[i] = err, IngestResult{}
			}
		}
	}
	return results, errs
}

func ingestOne(tx *gorm.DB, in Ingest) (IngestResult, error) {
	var out IngestResult
	var seen idempotencyKeyRow
	err := tx.Take(&seen, "key = ?", in.Key).Error
	if err == nil {
		out.Duplicate = true
		if seen.MemoID != nil {
			var row memoRow
			if err := tx.Take(&row, "id = ?", *seen.MemoID).Error; err == nil {
				out.Memo = row.toMemo()
			}
		}
		return out, nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return out, err
	}
	key := idempotencyKeyRow{Key: in.Key, CreatedAt: micros(time.Now())}
	if in.Memo != nil {
		ingest := ingestMemo
		if in.AppendTo != 0 {
			ingest = appendToMemo
		}
		m, appended, err := ingest(tx, in)
		if err != nil {
			return out, err
		}
		if err := recordExternal(tx, in, m); err != nil {
			return out, err
		}
		out.Memo, out.Appended = m, appended
		key.MemoID = &m.ID
	}
	return out, tx.Create(&key).Error
}

func ingestMemo(tx *gorm.DB, in Ingest) (Memo, bool, error) {
	m := *in.Memo
	appended := false
	start := 0
	var group memoGroupRow
	err := errors.New("no group")
	if in.GroupKey != "" {
		err = tx.Take(&group, "key = ?", in.GroupKey).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return Memo{}, false, err
		}
	}
	if err == nil {
		var row memoRow
		if err := tx.Take(&row, "id = ?", group.MemoID).Error; err != nil {
			return Memo{}, false, err
		}
		appended = true
		if (row.Content == "" || row.Content == in.EmptyContent) && m.Content != "" && m.Content != in.EmptyContent {
			// The album's caption may come with any item.
			row.Content = m.Content
			row.Tags = joinTags(m.Tags)
			row.UpdatedAt = micros(time.Now())
			if err := tx.Save(&row).Error; err != nil {
				return Memo{}, false, err
			}
			// EmptyContent may have had tags of its own.
			if err := tx.Where("memo_id = ?", row.ID).Delete(&memoTagRow{}).Error; err != nil {
				return Memo{}, false, err
			}
			if err := insertTags(tx, row.ID, m.Tags); err != nil {
				return Memo{}, false, err
			}
		}
		m = row.toMemo()
		if start, err = nextPosition(tx, m.ID); err != nil {
			return Memo{}, false, err
		}
	} else {
		if err := insertMemo(tx, &m); err != nil {
			return Memo{}, false, err
		}
		if in.GroupKey != "" {
			if err := tx.Create(&memoGroupRow{Key: in.GroupKey, MemoID: m.ID, CreatedAt: micros(time.Now())}).Error; err != nil {
				return Memo{}, false, err
			}
		}
	}
	for i := range in.Resources {
		r := in.Resources[i]
		r.CreatorID, r.MemoID, r.Position = m.CreatorID, m.ID, start+i
		row := newResourceRow(&r)
		if err := tx.Create(&row).Error; err != nil {
			return Memo{}, false, err
		}
	}
	if len(in.Resources) == 0 && !appended {
		return m, false, nil
	}
	return m, appended, loadResources(tx, []*Memo{&m})
}

// GetCursor returns a named feed position (0 if never set).
func (db *DB) GetCursor(ctx context.Context, name string) (int64, error) {
	var row cursorRow
	err := db.r(ctx).Take(&row, "name = ?", name).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return 0, nil
	}
	return row.Value, translate(err)
}

// SetCursor stores a named feed position.
func (db *DB) SetCursor(ctx context.Context, name string, value int64) error {
	return db.tx(ctx, func(tx *gorm.DB) error {
		return tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&cursorRow{Name: name, Value: value}).Error
	})
}

// HasIngested reports whether an Ingest key was applied.
func (db *DB) HasIngested(ctx context.Context, key string) (bool, error) {
	var n int64
	err := db.r(ctx).Model(&idempotencyKeyRow{}).Where("key = ?", key).Limit(1).Count(&n).Error
	return n > 0, translate(err)
}

// pruneChunk bounds the rows one pruning transaction deletes, so that the
// single writer is never held for long.
const pruneChunk = 500

// PruneIngested deletes the ingest keys and group keys recorded before
// cutoff, in short transactions, and reports how many of each went. Call
// it only for records whose events can no longer be delivered again: a
// pruned key no longer recognises its event as a duplicate, and a pruned
// group key no longer collects new items into its memo (the memos stay).
func (db *DB) PruneIngested(ctx context.Context, cutoff time.Time) (keys, groups int64, err error) {
	before := micros(cutoff)
	for _, t := range []struct {
		n     *int64
		query string
	}{
		{&keys, "DELETE FROM idempotency_keys WHERE key IN (SELECT key FROM idempotency_keys WHERE created_at < ? LIMIT ?)"},
		{&groups, "DELETE FROM memo_groups WHERE key IN (SELECT key FROM memo_groups WHERE created_at < ? LIMIT ?)"},
	} {
		for {
			var n int64
			err := db.tx(ctx, func(tx *gorm.DB) error {
				res := tx.Exec(t.query, before, pruneChunk)
				n = res.RowsAffected
				return res.Error
			})
			if err != nil {
				return keys, groups, err
			}
			*t.n += n
			if n < pruneChunk {
				break
			}
		}
	}
	return keys, groups, nil
}

// ingestContents are the contents ingests write as they are (appends
// compute theirs in the transaction), for prepareSearch.
func ingestContents(ins []Ingest) []string {
	var out []string
	for _, in := range ins {
		if in.Memo != nil && in.AppendTo == 0 {
			out = append(out, in.Memo.Content)
		}
	}
	return out
}
