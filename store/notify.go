package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Notification bookkeeping: the outbox written with memo changes, the
// claims that make a notification go out at most once, and the marks that
// several processes advance atomically. What a notification says and who
// gets it is the rules' business; the store only keeps the records.

// needsNotice is the outbox's cheap filter: a change may need a
// notification when the memo now is public after being something else (or
// was created public), or its content has an '@' (a possible mention).
// Everything else — most Telegram messages — costs nothing extra.
func needsNotice(e MemoEvent) bool {
	switch e.Type {
	case MemoCreated:
		return e.Memo.Visibility == VisibilityPublic || strings.IndexByte(e.Memo.Content, '@') >= 0
	case MemoUpdated:
		return (e.Memo.Visibility == VisibilityPublic && e.PrevVisibility != VisibilityPublic) ||
			strings.IndexByte(e.Memo.Content, '@') >= 0
	}
	return false
}

// writeNotifyOutbox adds an outbox row for each memo among events that
// may need a notification; it runs inside the events' transaction.
func writeNotifyOutbox(tx *gorm.DB, events []MemoEvent) error {
	var now int64
	var seen map[int64]bool
	for _, e := range events {
		if !needsNotice(e) || seen[e.Memo.ID] {
			continue
		}
		if seen == nil {
			seen, now = map[int64]bool{}, micros(time.Now())
		}
		seen[e.Memo.ID] = true
		if err := tx.Exec("INSERT INTO notify_outbox (memo_id, created_at) VALUES (?, ?)", e.Memo.ID, now).Error; err != nil {
			return err
		}
	}
	return nil
}

// OutboxEntry is a memo change waiting for the notifier.
type OutboxEntry struct {
	ID        int64
	MemoID    int64
	CreatedAt time.Time
}

// NotifyOutbox returns up to limit waiting entries, oldest first.
func (db *DB) NotifyOutbox(ctx context.Context, limit int) ([]OutboxEntry, error) {
	var rows []notifyOutboxRow
	if err := db.r(ctx).Order("id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]OutboxEntry, len(rows))
	for i, r := range rows {
		out[i] = OutboxEntry{ID: r.ID, MemoID: r.MemoID, CreatedAt: fromMicros(r.CreatedAt)}
	}
	return out, nil
}

// DeleteNotifyOutbox removes handled entries (missing ones are ignored).
func (db *DB) DeleteNotifyOutbox(ctx context.Context, ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	return db.tx(ctx, func(tx *gorm.DB) error {
		return tx.Where("id IN ?", ids).Delete(&notifyOutboxRow{}).Error
	})
}

// PruneNotifyOutbox drops entries older than before (changes nobody
// handled in time, e.g. while no bot was configured) and says how many.
func (db *DB) PruneNotifyOutbox(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := db.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("created_at < ?", micros(before)).Delete(&notifyOutboxRow{})
		n = res.RowsAffected
		return res.Error
	})
	return n, err
}

// Notification claim kinds.
const (
	ClaimMention = "mention" // a user mentioned in a memo; UserID is theirs
	ClaimChannel = "channel" // the public channel; UserID is 0
)

// ClaimNotification records that the notification kind about memoID for
// userID is being sent and reports whether this call made the claim
// (false: it was claimed before, by this or another process). A memo that
// no longer exists is ErrNotFound.
func (db *DB) ClaimNotification(ctx context.Context, kind string, memoID, userID int64) (bool, error) {
	var claimed bool
	err := db.tx(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&memoRow{}).Where("id = ?", memoID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		res := tx.Exec("INSERT INTO notify_claims (kind, memo_id, user_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
			kind, memoID, userID, micros(time.Now()))
		claimed = res.RowsAffected == 1
		return res.Error
	})
	return claimed, err
}

// AdvanceMark sets the mark name to value when it is missing or its value
// sorts before threshold, atomically, and reports whether it did. Values
// compare as strings: use fixed-width forms (dates as 2006-01-02, times
// as MarkTime).
func (db *DB) AdvanceMark(ctx context.Context, name, value, threshold string) (bool, error) {
	var done bool
	err := db.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Exec("INSERT INTO notify_marks (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value WHERE notify_marks.value < ?",
			name, value, threshold)
		done = res.RowsAffected == 1
		return res.Error
	})
	return done, err
}

// GetMark returns the mark's value ("" when missing).
func (db *DB) GetMark(ctx context.Context, name string) (string, error) {
	var rows []notifyMarkRow
	if err := db.r(ctx).Where("name = ?", name).Limit(1).Find(&rows).Error; err != nil {
		return "", translate(err)
	}
	if len(rows) == 0 {
		return "", nil
	}
	return rows[0].Value, nil
}

// MarkTime is t as a mark value that sorts in time order.
func MarkTime(t time.Time) string { return fmt.Sprintf("%020d", micros(t)) }

// TimeRange is the half-open interval [From, To).
type TimeRange struct{ From, To time.Time }

// MemosCreatedIn returns up to limit memos of creatorID created in any of
// the ranges, oldest first, without their resources.
func (db *DB) MemosCreatedIn(ctx context.Context, creatorID int64, ranges []TimeRange, limit int) ([]Memo, error) {
	if len(ranges) == 0 {
		return nil, nil
	}
	conds := make([]string, len(ranges))
	args := make([]any, 0, 2*len(ranges))
	for i, r := range ranges {
		conds[i] = "(created_at >= ? AND created_at < ?)"
		args = append(args, micros(r.From), micros(r.To))
	}
	var rows []memoRow
	err := db.r(ctx).Where("creator_id = ?", creatorID).Where(strings.Join(conds, " OR "), args...).
		Order("created_at, id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	out := make([]Memo, len(rows))
	for i := range rows {
		out[i] = rows[i].toMemo()
	}
	return out, nil
}

// Recipient is a user with a linked Telegram id and their settings.
type Recipient struct {
	User     User
	Settings UserSettings
}

// NotificationRecipients returns the users with a linked Telegram id who
// turned notifications on, or (admins) every admin with a linked id.
func (db *DB) NotificationRecipients(ctx context.Context, admins bool) ([]Recipient, error) {
	q := db.r(ctx).Table("user_settings").
		Select("user_settings.*").
		Joins("JOIN users ON users.id = user_settings.user_id").
		Where("user_settings.telegram_user_id IS NOT NULL")
	if admins {
		q = q.Where("users.role = ?", string(RoleAdmin))
	} else {
		q = q.Where("user_settings.telegram_notifications = ?", true)
	}
	var settings []userSettingRow
	if err := q.Order("users.id").Find(&settings).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]Recipient, 0, len(settings))
	for i := range settings {
		u, err := db.GetUser(ctx, settings[i].UserID)
		if err != nil {
			continue // deleted meanwhile
		}
		out = append(out, Recipient{User: u, Settings: settings[i].toSettings()})
	}
	return out, nil
}
