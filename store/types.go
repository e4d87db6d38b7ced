package store

import "time"

// Role is what a user may do beyond their own data.
type Role string

// Roles.
const (
	RoleAdmin Role = "admin"
	RoleUser  Role = "user"
)

// Visibility says who may see a memo.
type Visibility string

// Visibilities.
const (
	VisibilityPrivate   Visibility = "private"
	VisibilityProtected Visibility = "protected"
	VisibilityPublic    Visibility = "public"
)

// Source says where a memo was written.
type Source string

// Sources.
const (
	SourceWeb      Source = "web"
	SourceAPI      Source = "api"
	SourceTelegram Source = "telegram"
)

// TokenKind separates browser sessions from personal access tokens.
type TokenKind string

// Token kinds.
const (
	TokenSession  TokenKind = "session"
	TokenPersonal TokenKind = "personal"
)

// User is an account.
type User struct {
	ID           int64
	Username     string
	DisplayName  string
	PasswordHash string
	Role         Role
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Token is a session or personal access token; only its hash is stored.
type Token struct {
	ID          int64
	UserID      int64
	Kind        TokenKind
	Description string
	CreatedAt   time.Time
	ExpiresAt   time.Time // zero: never
}

// Memo is a Markdown note with its attached resources.
type Memo struct {
	ID         int64
	CreatorID  int64
	Content    string
	Visibility Visibility
	Pinned     bool
	Tags       []string
	Source     Source
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Resources  []Resource // in attachment order
}

// Resource is a stored file's metadata; its bytes live at StoragePath,
// relative to the data directory.
type Resource struct {
	ID          int64
	CreatorID   int64
	MemoID      int64 // 0: not attached
	Position    int
	Filename    string
	Type        string
	Size        int64
	StoragePath string
	CreatedAt   time.Time
}

// SystemSettings is the instance-wide configuration.
type SystemSettings struct {
	TelegramBotToken         string
	InstanceURL              string
	AllowSignUp              bool
	DisallowPublicVisibility bool
	// TelegramPublicChannel is the chat (numeric id or @name) that memos
	// becoming public are posted to; "" = off.
	TelegramPublicChannel string
	TelegramUpdateMode    UpdateMode
}

// UpdateMode is how the Telegram bot receives updates.
type UpdateMode string

// Update modes; "" is UpdatePolling.
const (
	UpdatePolling UpdateMode = ""
	UpdateWebhook UpdateMode = "webhook"
)

// Confirmation is how the Telegram bot confirms a saved message.
type Confirmation string

// Confirmation styles; "" is ConfirmReply.
const (
	ConfirmReply    Confirmation = ""
	ConfirmReaction Confirmation = "reaction"
	ConfirmSilent   Confirmation = "silent"
)

// UserSettings is one user's preferences.
type UserSettings struct {
	UserID               int64
	TelegramUserID       int64 // 0: not linked
	DefaultVisibility    Visibility
	Locale               string
	TelegramConfirmation Confirmation
	TelegramTag          string // without '#'; "" = none
	// TelegramNotifications lets the bot message the user on its own
	// (mentions, "On this day").
	TelegramNotifications bool
	Timezone              string // IANA name; "" = UTC
}
