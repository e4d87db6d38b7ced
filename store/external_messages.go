package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Kinds of ExternalMessage.
const (
	MessageOrigin       = "origin"       // the message made the memo
	MessageAppended     = "appended"     // the message was added to the memo
	MessageConfirmation = "confirmation" // the bot's confirmation of the memo
)

// ExternalMessage ties a message in an outside chat (named by Key, e.g.
// one Telegram message) to a memo.
type ExternalMessage struct {
	Key    string
	MemoID int64
	UserID int64 // the memo's creator
	Kind   string
	Part   string // the text the message put into the memo
}

// ContentHash is the hash kept for a memo's content as its outside chat
// last wrote it.
func ContentHash(content string) []byte {
	h := sha256.Sum256([]byte(content))
	return h[:]
}

// recordExternal writes the message rows of an ingest and, with
// TrackContent, the hash of the memo's content. Part of an Ingest
// transaction.
func recordExternal(tx *gorm.DB, in Ingest, m Memo) error {
	now := micros(time.Now())
	for _, ref := range in.Messages {
		row := externalMessageRow{Key: ref.Key, MemoID: m.ID, UserID: m.CreatorID, Kind: ref.Kind, Part: ref.Part, CreatedAt: now}
		if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "key"}}, DoUpdates: clause.AssignmentColumns([]string{"memo_id", "user_id", "kind", "part", "created_at"})}).Create(&row).Error; err != nil {
			return err
		}
	}
	if !in.TrackContent {
		return nil
	}
	return saveContentHash(tx, m.ID, m.Content)
}

func saveContentHash(tx *gorm.DB, memoID int64, content string) error {
	return tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&externalContentRow{MemoID: memoID, Hash: ContentHash(content)}).Error
}

// appendToMemo adds an ingest's content (after a blank line), tags and
// resources to the memo in.AppendTo. A memo that is gone meanwhile makes
// the ingest create a memo instead (appended = false).
//
// memo event: updated
func appendToMemo(tx *gorm.DB, in Ingest) (Memo, bool, error) {
	var row memoRow
	err := tx.Take(&row, "id = ?", in.AppendTo).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		in.AppendTo = 0
		return ingestMemo(tx, in)
	}
	if err != nil {
		return Memo{}, false, err
	}
	add := in.Memo.Content
	if add != "" {
		if row.Content != "" {
			row.Content += "\n\n"
		}
		row.Content += add
		var newTags []string
		have := strings.Fields(row.Tags)
		for _, t := range in.Memo.Tags {
			if !slices.Contains(have, t) {
				newTags = append(newTags, t)
				have = append(have, t)
			}
		}
		row.Tags = joinTags(have)
		if err := insertTags(tx, row.ID, newTags); err != nil {
			return Memo{}, false, err
		}
	}
	row.UpdatedAt = micros(time.Now())
	if err := tx.Model(&memoRow{}).Where("id = ?", row.ID).Updates(map[string]any{
		"content": row.Content, "tags": row.Tags, "updated_at": row.UpdatedAt,
	}).Error; err != nil {
		return Memo{}, false, err
	}
	m := row.toMemo()
	start, err := nextPosition(tx, m.ID)
	if err != nil {
		return Memo{}, false, err
	}
	for i := range in.Resources {
		r := in.Resources[i]
		r.CreatorID, r.MemoID, r.Position = m.CreatorID, m.ID, start+i
		rr := newResourceRow(&r)
		if err := tx.Create(&rr).Error; err != nil {
			return Memo{}, false, err
		}
	}
	return m, true, loadResources(tx, []*Memo{&m})
}

// GetExternalMessage returns the message row with key.
func (db *DB) GetExternalMessage(ctx context.Context, key string) (ExternalMessage, error) {
	var row externalMessageRow
	if err := db.r(ctx).Take(&row, "key = ?", key).Error; err != nil {
		return ExternalMessage{}, translate(err)
	}
	return row.toExternal(), nil
}

// AddExternalMessage records a message about an existing memo (e.g. the
// bot's confirmation). A memo that is gone is ErrNotFound.
func (db *DB) AddExternalMessage(ctx context.Context, msg ExternalMessage) error {
	return db.tx(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&memoRow{}).Where("id = ?", msg.MemoID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		row := externalMessageRow{Key: msg.Key, MemoID: msg.MemoID, UserID: msg.UserID, Kind: msg.Kind, Part: msg.Part, CreatedAt: micros(time.Now())}
		return tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "key"}}, UpdateAll: true}).Create(&row).Error
	})
}

// LatestExternalOrigin returns the newest message of kind MessageOrigin
// whose key starts with prefix and whose memo userID created.
func (db *DB) LatestExternalOrigin(ctx context.Context, userID int64, prefix string) (ExternalMessage, error) {
	var row externalMessageRow
	err := db.r(ctx).Where("user_id = ? AND kind = ? AND substr(key, 1, ?) = ?", userID, MessageOrigin, len(prefix), prefix).
		Order("created_at DESC, id DESC").Take(&row).Error
	if err != nil {
		return ExternalMessage{}, translate(err)
	}
	return row.toExternal(), nil
}

// ExternalContentHash returns the hash kept for a memo's content
// (ErrNotFound when none is kept).
func (db *DB) ExternalContentHash(ctx context.Context, memoID int64) ([]byte, error) {
	var row externalContentRow
	if err := db.r(ctx).Take(&row, "memo_id = ?", memoID).Error; err != nil {
		return nil, translate(err)
	}
	return row.Hash, nil
}

// ExternalEdit replaces the part one message put into its memo.
type ExternalEdit struct {
	Key string
	// Expect is the memo content the edit was computed from: if the memo
	// changed since, nothing is written and the result is ErrConflict.
	Expect  string
	Content string // the memo's new content
	Tags    []string
	Part    string // the message's new part
}

// ApplyExternalEdit writes an ExternalEdit in one transaction: the memo's
// content and tags, the message's part and the memo's content hash.
//
// memo event: updated
func (db *DB) ApplyExternalEdit(ctx context.Context, e ExternalEdit) (Memo, error) {
	var out Memo
	defer db.prepareSearch(e.Content)()
	events := db.memoChanges()
	err := db.tx(ctx, func(tx *gorm.DB) error {
		var ref externalMessageRow
		if err := tx.Take(&ref, "key = ?", e.Key).Error; err != nil {
			return err
		}
		var row memoRow
		if err := tx.Take(&row, "id = ?", ref.MemoID).Error; err != nil {
			return err
		}
		if row.Content != e.Expect {
			return ErrConflict
		}
		row.Content, row.Tags, row.UpdatedAt = e.Content, joinTags(e.Tags), micros(time.Now())
		if err := tx.Model(&memoRow{}).Where("id = ?", row.ID).Updates(map[string]any{
			"content": row.Content, "tags": row.Tags, "updated_at": row.UpdatedAt,
		}).Error; err != nil {
			return err
		}
		if err := tx.Where("memo_id = ?", row.ID).Delete(&memoTagRow{}).Error; err != nil {
			return err
		}
		if err := insertTags(tx, row.ID, e.Tags); err != nil {
			return err
		}
		if err := tx.Model(&externalMessageRow{}).Where("id = ?", ref.ID).Update("part", e.Part).Error; err != nil {
			return err
		}
		if err := saveContentHash(tx, row.ID, row.Content); err != nil {
			return err
		}
		out = row.toMemo()
		if err := loadResources(tx, []*Memo{&out}); err != nil {
			return err
		}
		return events.stage(tx, MemoEvent{Type: MemoUpdated, Memo: out, PrevVisibility: out.Visibility})
	})
	events.settle(err)
	return out, translate(err)
}

func (r externalMessageRow) toExternal() ExternalMessage {
	return ExternalMessage{Key: r.Key, MemoID: r.MemoID, UserID: r.UserID, Kind: r.Kind, Part: r.Part}
}
