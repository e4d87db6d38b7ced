package store

import "gorm.io/gorm"

// The notification schema (migration 6): the outbox of memo changes that
// may need a notification, the claims that make each notification go out
// at most once, and named marks (a user's last "On this day" date, an
// alert's last sending time) that several processes claim atomically.

// notifyOutboxRow is a committed memo change that may need a notification
// (see needsNotice). It is written in the change's own transaction, so a
// change is never missed, even when the process stops before the
// notifier saw it; the notifier deletes the row once it has handled it.
type notifyOutboxRow struct {
	ID        int64    `gorm:"primaryKey"`
	MemoID    int64    `gorm:"not null;index"`
	Memo      *memoRow `gorm:"foreignKey:MemoID;constraint:OnDelete:CASCADE"`
	CreatedAt int64    `gorm:"not null;autoCreateTime:false"`
}

func (notifyOutboxRow) TableName() string { return "notify_outbox" }

// notifyClaimRow records that one notification about a memo was claimed
// for sending to one recipient (a user, or 0 for the public channel).
type notifyClaimRow struct {
	Kind      string   `gorm:"primaryKey;size:16"`
	MemoID    int64    `gorm:"primaryKey;autoIncrement:false"`
	Memo      *memoRow `gorm:"foreignKey:MemoID;constraint:OnDelete:CASCADE"`
	UserID    int64    `gorm:"primaryKey;autoIncrement:false"`
	CreatedAt int64    `gorm:"not null;autoCreateTime:false"`
}

func (notifyClaimRow) TableName() string { return "notify_claims" }

// notifyMarkRow is a named value that only moves forward (compared as
// strings): "daily:<user id>" → the local date last sent, "alert:<cause>"
// → the time it was last sent.
type notifyMarkRow struct {
	Name  string `gorm:"primaryKey;size:191"`
	Value string `gorm:"not null"`
}

func (notifyMarkRow) TableName() string { return "notify_marks" }

// migrateNotify is migration 6. Migration 1 creates user_settings from the
// live model, which has the new columns, so they are added only when
// missing.
func migrateNotify(tx *gorm.DB) error {
	m := tx.Migrator()
	for _, col := range []string{"TelegramNotifications", "Timezone"} {
		if !m.HasColumn(&userSettingRow{}, col) {
			if err := m.AddColumn(&userSettingRow{}, col); err != nil {
				return err
			}
		}
	}
	return m.CreateTable(&notifyOutboxRow{}, &notifyClaimRow{}, &notifyMarkRow{})
}
