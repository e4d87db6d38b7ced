package store

import (
	"context"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The webhook inbox (migration 8). In webhook mode Telegram POSTs each
// update to the instance; the update is appended here — committed and
// synced — before Telegram is answered, and one consumer (the bot) later
// reads the inbox in update_id order, handles the updates and marks them
// done. Any process may append; the store tells the consumer that
// something arrived (in-process on SQLite).
//
// The webhook row holds the secret Telegram sends with every delivery:
// one per instance, for the bot the webhook was set for.

// telegramInboxRow is one update delivered to the webhook. It stays after
// it is handled (DoneAt set) so that a redelivery of the same update_id is
// recognised, and is pruned later.
type telegramInboxRow struct {
	BotID      int64  `gorm:"primaryKey;autoIncrement:false;index:idx_telegram_inbox_pending,priority:1"`
	UpdateID   int64  `gorm:"primaryKey;autoIncrement:false;index:idx_telegram_inbox_pending,priority:3"`
	Body       []byte `gorm:"not null"`
	ReceivedAt int64  `gorm:"not null"`
	DoneAt     int64  `gorm:"not null;default:0;index:idx_telegram_inbox_pending,priority:2;index"` // 0: not handled yet
}

func (telegramInboxRow) TableName() string { return "telegram_inbox" }

// telegramWebhookRow is the webhook the bot set: always the row with ID 1.
type telegramWebhookRow struct {
	ID        int    `gorm:"primaryKey;autoIncrement:false"`
	BotID     int64  `gorm:"not null"`
	TokenHash []byte `gorm:"not null"`
	Secret    string `gorm:"not null"`
	CreatedAt int64  `gorm:"not null;autoCreateTime:false"`
}

func (telegramWebhookRow) TableName() string { return "telegram_webhook" }

// migrateTelegramInbox is migration 8.
func migrateTelegramInbox(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&telegramInboxRow{}, &telegramWebhookRow{})
}

// TelegramWebhook is the webhook the bot set: for which bot, for which
// token (a hash, so that a new token gets a new secret), and the secret
// Telegram sends in X-Telegram-Bot-Api-Secret-Token.
type TelegramWebhook struct {
	BotID     int64
	TokenHash []byte
	Secret    string
}

// GetTelegramWebhook returns the webhook, or ErrNotFound when none is set.
func (db *DB) GetTelegramWebhook(ctx context.Context) (TelegramWebhook, error) {
	var row telegramWebhookRow
	if err := db.r(ctx).Take(&row, "id = 1").Error; err != nil {
		return TelegramWebhook{}, translate(err)
	}
	return TelegramWebhook{BotID: row.BotID, TokenHash: row.TokenHash, Secret: row.Secret}, nil
}

// SetTelegramWebhook stores the webhook, replacing any other.
func (db *DB) SetTelegramWebhook(ctx context.Context, w TelegramWebhook) error {
	row := telegramWebhookRow{ID: 1, BotID: w.BotID, TokenHash: w.TokenHash, Secret: w.Secret, CreatedAt: micros(time.Now())}
	return db.tx(ctx, func(tx *gorm.DB) error {
		return tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&row).Error
	})
}

// DeleteTelegramWebhook forgets the webhook (nothing when none is set).
func (db *DB) DeleteTelegramWebhook(ctx context.Context) error {
	return db.tx(ctx, func(tx *gorm.DB) error {
		return tx.Where("id = 1").Delete(&telegramWebhookRow{}).Error
	})
}

// InboxUpdate is an update waiting in the inbox.
type InboxUpdate struct {
	UpdateID int64
	Body     []byte
}

// AppendTelegramUpdate stores an update for the bot botID, committed and
// synced when it returns. added is false when that update_id is already in
// the inbox (a redelivery): nothing changes then. After a commit that
// added it, the inbox's watchers are woken.
func (db *DB) AppendTelegramUpdate(ctx context.Context, botID, updateID int64, body []byte) (added bool, err error) {
	row := telegramInboxRow{BotID: botID, UpdateID: updateID, Body: body, ReceivedAt: micros(time.Now())}
	err = db.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		added = res.RowsAffected > 0
		if res.Error != nil || !added {
			return res.Error
		}
		return logChange(tx, changeInbox, nil) // wakes the consumer in whichever process (changes.go)
	})
	if err != nil {
		return false, translate(err)
	}
	if added {
		db.inbox.wake()
	}
	return added, nil
}

// PendingTelegramUpdates returns up to limit updates of bot botID not yet
// marked done, in update_id order.
func (db *DB) PendingTelegramUpdates(ctx context.Context, botID int64, limit int) ([]InboxUpdate, error) {
	var rows []telegramInboxRow
	err := db.r(ctx).Where("bot_id = ? AND done_at = 0", botID).Order("update_id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	out := make([]InboxUpdate, len(rows))
	for i, r := range rows {
		out[i] = InboxUpdate{UpdateID: r.UpdateID, Body: r.Body}
	}
	return out, nil
}

// MarkTelegramUpdatesDone marks bot botID's updates with the given ids as
// handled (by id, not by range: an update that arrived late, below a
// handled one, stays pending).
func (db *DB) MarkTelegramUpdatesDone(ctx context.Context, botID int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	now := micros(time.Now())
	return db.tx(ctx, func(tx *gorm.DB) error {
		return tx.Model(&telegramInboxRow{}).Where("bot_id = ? AND update_id IN ? AND done_at = 0", botID, ids).
			Update("done_at", now).Error
	})
}

// PruneTelegramInbox deletes updates handled before cutoff, in short
// transactions, and reports how many went. A pruned update_id delivered
// again would be stored and handled again: keep them longer than Telegram
// keeps undelivered updates (24 hours).
func (db *DB) PruneTelegramInbox(ctx context.Context, cutoff time.Time) (int64, error) {
	var total int64
	for {
		var n int64
		err := db.tx(ctx, func(tx *gorm.DB) error {
			res := tx.Exec("DELETE FROM telegram_inbox WHERE (bot_id, update_id) IN "+
				"(SELECT bot_id, update_id FROM telegram_inbox WHERE done_at > 0 AND done_at < ? LIMIT ?)",
				micros(cutoff), pruneChunk)
			n = res.RowsAffected
			return res.Error
		})
		total += n
		if err != nil || n < pruneChunk {
			return total, err
		}
	}
}

// WatchTelegramInbox returns a channel that receives a value (coalesced:
// capacity one) after every commit that added an update to the inbox,
// until ctx ends.
func (db *DB) WatchTelegramInbox(ctx context.Context) <-chan struct{} {
	return db.inbox.watch(ctx)
}

// inboxSignal wakes the inbox's watchers; its zero value is ready.
type inboxSignal struct {
	mu       sync.Mutex
	watchers map[chan struct{}]struct{}
}

func (s *inboxSignal) watch(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	if s.watchers == nil {
		s.watchers = map[chan struct{}]struct{}{}
	}
	s.watchers[ch] = struct{}{}
	s.mu.Unlock()
	context.AfterFunc(ctx, func() {
		s.mu.Lock()
		delete(s.watchers, ch)
		s.mu.Unlock()
	})
	return ch
}

func (s *inboxSignal) wake() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.watchers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
