package store

// The gorm models below are private: callers see the domain types in
// types.go. Times are Unix microseconds so that ordering and keyset
// pagination compare integers in every SQL dialect.

type userRow struct {
	ID           int64  `gorm:"primaryKey"`
	Username     string `gorm:"size:32;not null;uniqueIndex"`
	DisplayName  string `gorm:"size:64;not null;default:''"`
	PasswordHash string `gorm:"not null"`
	Role         string `gorm:"size:16;not null"`
	CreatedAt    int64  `gorm:"not null;autoCreateTime:false"`
	UpdatedAt    int64  `gorm:"not null;autoUpdateTime:false"`
}

func (userRow) TableName() string { return "users" }

type tokenRow struct {
	ID          int64    `gorm:"primaryKey"`
	UserID      int64    `gorm:"not null;index"`
	User        *userRow `gorm:"foreignKey:UserID;constraint:OnDelete:CASCADE"`
	Hash        []byte   `gorm:"not null;uniqueIndex"`
	Kind        string   `gorm:"size:16;not null"`
	Description string   `gorm:"size:256;not null;default:''"`
	CreatedAt   int64    `gorm:"not null;autoCreateTime:false"`
	ExpiresAt   int64    `gorm:"not null;default:0"`
}

func (tokenRow) TableName() string { return "tokens" }

type memoRow struct {
	ID         int64    `gorm:"primaryKey;index:idx_memos_creator_order,priority:5,sort:desc;index:idx_memos_visibility_order,priority:5,sort:desc"`
	CreatorID  int64    `gorm:"not null;index:idx_memos_creator_order,priority:1"`
	Creator    *userRow `gorm:"foreignKey:CreatorID;constraint:OnDelete:CASCADE"`
	Content    string   `gorm:"not null"`
	Visibility string   `gorm:"size:16;not null;index:idx_memos_visibility_order,priority:1"`
	Pinned     bool     `gorm:"not null;default:false;index:idx_memos_creator_order,priority:2,sort:desc;index:idx_memos_visibility_order,priority:2,sort:desc"`
	Tags       string   `gorm:"not null;default:''"`
	Source     string   `gorm:"size:16;not null"`
	CreatedAt  int64    `gorm:"not null;autoCreateTime:false;index:idx_memos_creator_order,priority:3,sort:desc;index:idx_memos_visibility_order,priority:3,sort:desc"`
	UpdatedAt  int64    `gorm:"not null;autoUpdateTime:false"`
}

func (memoRow) TableName() string { return "memos" }

type memoTagRow struct {
	MemoID int64    `gorm:"primaryKey;autoIncrement:false"`
	Memo   *memoRow `gorm:"foreignKey:MemoID;constraint:OnDelete:CASCADE"`
	Tag    string   `gorm:"primaryKey;size:128"`
}

func (memoTagRow) TableName() string { return "memo_tags" }

type resourceRow struct {
	ID          int64    `gorm:"primaryKey"`
	CreatorID   int64    `gorm:"not null;index:idx_resources_creator,priority:1"`
	Creator     *userRow `gorm:"foreignKey:CreatorID;constraint:OnDelete:CASCADE"`
	MemoID      *int64   `gorm:"index:idx_resources_memo,priority:1"`
	Memo        *memoRow `gorm:"foreignKey:MemoID;constraint:OnDelete:SET NULL"`
	Position    int      `gorm:"not null;default:0;index:idx_resources_memo,priority:2"`
	Filename    string   `gorm:"size:255;not null"`
	Type        string   `gorm:"size:255;not null"`
	Size        int64    `gorm:"not null"`
	StoragePath string   `gorm:"not null;uniqueIndex"`
	CreatedAt   int64    `gorm:"not null;autoCreateTime:false"`
}

func (resourceRow) TableName() string { return "resources" }

type systemSettingRow struct {
	Key   string `gorm:"primaryKey;size:64"`
	Value string `gorm:"not null"`
}

func (systemSettingRow) TableName() string { return "system_settings" }

type userSettingRow struct {
	UserID            int64    `gorm:"primaryKey;autoIncrement:false"`
	User              *userRow `gorm:"foreignKey:UserID;constraint:OnDelete:CASCADE"`
	TelegramUserID    *int64   `gorm:"uniqueIndex"`
	DefaultVisibility string   `gorm:"size:16;not null"`
	Locale            string   `gorm:"size:16;not null;default:''"`
	// TelegramConfirmation is "" (reply), "reaction" or "silent".
	TelegramConfirmation string `gorm:"size:16;not null;default:''"`
	TelegramTag          string `gorm:"size:128;not null;default:''"`
	// TelegramNotifications and Timezone since migration 6; Timezone ""
	// reads as UTC.
	TelegramNotifications bool   `gorm:"not null;default:false"`
	Timezone              string `gorm:"size:64;not null;default:''"`
}

func (userSettingRow) TableName() string { return "user_settings" }

// idempotencyKeyRow records that an external event (e.g. one Telegram
// update) was applied, in the same transaction as its effects.
type idempotencyKeyRow struct {
	Key       string `gorm:"primaryKey;size:191"`
	MemoID    *int64
	CreatedAt int64 `gorm:"not null;autoCreateTime:false"`
}

func (idempotencyKeyRow) TableName() string { return "idempotency_keys" }

// memoGroupRow maps an external grouping key (e.g. a Telegram album) to the
// memo that collects its items.
type memoGroupRow struct {
	Key    string   `gorm:"primaryKey;size:191"`
	MemoID int64    `gorm:"not null;index"`
	Memo   *memoRow `gorm:"foreignKey:MemoID;constraint:OnDelete:CASCADE"`
	// CreatedAt (since migration 2) is when the group's first item came,
	// so that groups can be pruned once no more items can arrive.
	CreatedAt int64 `gorm:"not null;default:0;autoCreateTime:false"`
}

func (memoGroupRow) TableName() string { return "memo_groups" }

// cursorRow persists a named position in an external feed (e.g. the next
// getUpdates offset of one Telegram bot).
type cursorRow struct {
	Name  string `gorm:"primaryKey;size:191"`
	Value int64  `gorm:"not null"`
}

func (cursorRow) TableName() string { return "cursors" }
