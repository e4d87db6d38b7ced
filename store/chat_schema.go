package store

import "gorm.io/gorm"

// The chat schema (migration 4): one-time codes that link an outside
// account, the map from messages in outside chats to the memos they made or
// confirm, and the content each such memo had when its chat last wrote it.

// linkCodeRow is a one-time code that links an outside account (a Telegram
// user) to UserID. Only the code's hash is stored.
type linkCodeRow struct {
	Hash      []byte   `gorm:"primaryKey"`
	UserID    int64    `gorm:"not null;index:idx_link_codes_user,priority:1"`
	User      *userRow `gorm:"foreignKey:UserID;constraint:OnDelete:CASCADE"`
	CreatedAt int64    `gorm:"not null;autoCreateTime:false;index:idx_link_codes_user,priority:2"`
	ExpiresAt int64    `gorm:"not null"`
	UsedAt    int64    `gorm:"not null;default:0"` // 0: unused
}

func (linkCodeRow) TableName() string { return "link_codes" }

// externalMessageRow says which memo a message in an outside chat belongs
// to: the message that made it, one added to it, or the bot's confirmation.
type externalMessageRow struct {
	ID     int64    `gorm:"primaryKey"`
	Key    string   `gorm:"size:191;not null;uniqueIndex"`
	MemoID int64    `gorm:"not null;index"`
	Memo   *memoRow `gorm:"foreignKey:MemoID;constraint:OnDelete:CASCADE"`
	// UserID is the memo's creator, for "my latest message" (undo).
	UserID int64  `gorm:"not null;index:idx_external_messages_user,priority:1"`
	Kind   string `gorm:"size:16;not null;index:idx_external_messages_user,priority:2"`
	// Part is the text this message put into the memo (edits replace it).
	Part      string `gorm:"not null;default:''"`
	CreatedAt int64  `gorm:"not null;autoCreateTime:false"`
}

func (externalMessageRow) TableName() string { return "external_messages" }

// externalContentRow is the hash of a memo's content as its outside chat
// last wrote it: a different current hash means the memo was changed
// elsewhere since.
type externalContentRow struct {
	MemoID int64    `gorm:"primaryKey;autoIncrement:false"`
	Memo   *memoRow `gorm:"foreignKey:MemoID;constraint:OnDelete:CASCADE"`
	Hash   []byte   `gorm:"not null"`
}

func (externalContentRow) TableName() string { return "external_contents" }

// migrateChat is migration 4. Migration 1 creates user_settings from the
// live model, which has the new columns, so they are added only when
// missing.
func migrateChat(tx *gorm.DB) error {
	m := tx.Migrator()
	for _, col := range []string{"TelegramConfirmation", "TelegramTag"} {
		if !m.HasColumn(&userSettingRow{}, col) {
			if err := m.AddColumn(&userSettingRow{}, col); err != nil {
				return err
			}
		}
	}
	return m.CreateTable(&linkCodeRow{}, &externalMessageRow{}, &externalContentRow{})
}
