package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
)

// importMapRow records that a row of another system (e.g. a memos user or
// memo) was imported, and as what, so that importing again skips it. It is
// written in the same transaction as the imported rows.
type importMapRow struct {
	Key       string `gorm:"primaryKey;size:191"` // e.g. "memos:memo:<uid>"
	TargetID  int64  `gorm:"not null"`            // the user's or memo's id here
	CreatedAt int64  `gorm:"not null;autoCreateTime:false"`
}

func (importMapRow) TableName() string { return "import_map" }

// ImportedID returns the id that the source row with key was imported as.
func (db *DB) ImportedID(ctx context.Context, key string) (int64, bool, error) {
	var row importMapRow
	err := db.r(ctx).Take(&row, "key = ?", key).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, translate(err)
	}
	return row.TargetID, true, nil
}

// ImportUser inserts u as given (hash, role, times) with its settings and
// records key, in one transaction. When key was imported already nothing
// changes and u is set to that user (created = false). A taken username or
// Telegram id is ErrConflict.
func (db *DB) ImportUser(ctx context.Context, key string, u *User, s UserSettings) (created bool, err error) {
	given := *u // the transaction may run more than once: each run starts from it
	err = db.tx(ctx, func(tx *gorm.DB) error {
		*u, created = given, false
		var seen importMapRow
		if err := tx.Take(&seen, "key = ?", key).Error; err == nil {
			var row userRow
			if err := tx.Take(&row, "id = ?", seen.TargetID).Error; err != nil {
				return err
			}
			*u = row.toUser()
			return nil
		} else if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		row := userRow{
			Username: u.Username, DisplayName: u.DisplayName, PasswordHash: u.PasswordHash,
			Role: string(u.Role), CreatedAt: micros(u.CreatedAt), UpdatedAt: micros(u.UpdatedAt),
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		set := userSettingRow{UserID: row.ID, DefaultVisibility: string(s.DefaultVisibility), Locale: s.Locale}
		if set.DefaultVisibility == "" {
			set.DefaultVisibility = string(VisibilityPrivate)
		}
		if s.TelegramUserID != 0 {
			id := s.TelegramUserID
			set.TelegramUserID = &id
		}
		if err := tx.Create(&set).Error; err != nil {
			return err
		}
		if err := tx.Create(&importMapRow{Key: key, TargetID: row.ID, CreatedAt: micros(time.Now())}).Error; err != nil {
			return err
		}
		*u = row.toUser()
		created = true
		return nil
	})
	return created, err
}

// ImportMemo inserts m as given (creator, content, tags, visibility,
// pinned, source, times) with its resources (their files already in place
// at StoragePath; attached in the given order) and records key, in one
// transaction. When key was imported already nothing changes (created =
// false) and m is left as it is.
func (db *DB) ImportMemo(ctx context.Context, key string, m *Memo, resources []Resource) (created bool, err error) {
	defer db.prepareSearch(m.Content)()
	given := *m // the transaction may run more than once: each run starts from it
	err = db.tx(ctx, func(tx *gorm.DB) error {
		*m, created = given, false
		var seen importMapRow
		if err := tx.Take(&seen, "key = ?", key).Error; err == nil {
			return nil
		} else if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		createdAt, updatedAt := m.CreatedAt, m.UpdatedAt
		if err := insertMemo(tx, m); err != nil {
			return err
		}
		if err := tx.Exec("UPDATE memos SET created_at = ?, updated_at = ? WHERE id = ?", micros(createdAt), micros(updatedAt), m.ID).Error; err != nil {
			return err
		}
		m.CreatedAt, m.UpdatedAt = fromMicros(micros(createdAt)), fromMicros(micros(updatedAt))
		for i := range resources {
			r := resources[i]
			r.CreatorID, r.MemoID, r.Position = m.CreatorID, m.ID, i
			row := newResourceRow(&r)
			if !r.CreatedAt.IsZero() {
				row.CreatedAt = micros(r.CreatedAt)
			}
			if err := tx.Create(&row).Error; err != nil {
				return err
			}
		}
		if err := tx.Create(&importMapRow{Key: key, TargetID: m.ID, CreatedAt: micros(time.Now())}).Error; err != nil {
			return err
		}
		created = true
		return loadResources(tx, []*Memo{m})
	})
	return created, err
}
