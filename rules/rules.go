package rules

import (
	"sync"

	"github.com/memoria-app/memoria/store"
)

// Config holds the rules' tunables.
type Config struct {
	// MaxUploadBytes bounds one resource (default 32 MiB).
	MaxUploadBytes int64
	// BcryptCost for password hashes (default bcrypt.DefaultCost; tests
	// lower it).
	BcryptCost int
	// SignInThrottle limits password guessing (nil: with the default
	// ThrottleConfig, an in-memory one, or the database's when other
	// processes share it).
	SignInThrottle SignInThrottle
	// PasswordWorkers bounds concurrent bcrypt operations (0: half the
	// CPUs, at least one).
	PasswordWorkers int
	// FilesInDB stores new files in the database (DBFiles) instead of
	// under <data>/files (DiskFiles). Files already stored are served
	// from wherever they are, whatever this says.
	FilesInDB bool
}

// DefaultMaxUploadBytes is the default resource size limit.
const DefaultMaxUploadBytes = 32 << 20

// Rules is the one layer of business rules: permission checks, validation,
// tag extraction and visibility policy. The Connect handlers and the
// Telegram bot both call it, with the acting user in the context (see
// WithActor); it is the only writer to the store.
type Rules struct {
	db       *store.DB
	files    *fileStores
	cfg      Config
	auth     *authCache
	settings *settingsCache // users' settings
	pw       *passwordPool

	botMu sync.Mutex
	bot   BotStatusSource
}

// NewRules builds the rules over db, keeping files under dataDir or, with
// cfg.FilesInDB, in db.
func NewRules(db *store.DB, dataDir string, cfg Config) (*Rules, error) {
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if cfg.BcryptCost == 0 {
		cfg.BcryptCost = defaultBcryptCost
	}
	if cfg.SignInThrottle == nil {
		cfg.SignInThrottle = NewMemorySignInThrottle(ThrottleConfig{})
		if db.MultiProcess() {
			cfg.SignInThrottle = NewDBSignInThrottle(db, ThrottleConfig{})
		}
	}
	fs, err := newFileStores(db, dataDir, cfg.FilesInDB)
	if err != nil {
		return nil, err
	}
	r := &Rules{db: db, files: fs, cfg: cfg, auth: newAuthCache(), settings: newSettingsCache(),
		pw: newPasswordPool(cfg.PasswordWorkers)}
	db.OnInvalidate(r.invalidate) // cache_invalidation.go
	return r, nil
}

// MaxUploadBytes is the configured resource size limit.
func (r *Rules) MaxUploadBytes() int64 { return r.cfg.MaxUploadBytes }
