package store

import (
	"context"
	"errors"
	"strconv"
	"sync"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

const (
	keyTelegramBotToken         = "telegram_bot_token"
	keyInstanceURL              = "instance_url"
	keyAllowSignUp              = "allow_sign_up"
	keyDisallowPublicVisibility = "disallow_public_visibility"
	keyTelegramPublicChannel    = "telegram_public_channel"
	keyTelegramUpdateMode       = "telegram_update_mode"
)

func settingsFromRows(rows []systemSettingRow) SystemSettings {
	var s SystemSettings
	for _, r := range rows {
		switch r.Key {
		case keyTelegramBotToken:
			s.TelegramBotToken = r.Value
		case keyInstanceURL:
			s.InstanceURL = r.Value
		case keyAllowSignUp:
			s.AllowSignUp, _ = strconv.ParseBool(r.Value)
		case keyDisallowPublicVisibility:
			s.DisallowPublicVisibility, _ = strconv.ParseBool(r.Value)
		case keyTelegramPublicChannel:
			s.TelegramPublicChannel = r.Value
		case keyTelegramUpdateMode:
			s.TelegramUpdateMode = UpdateMode(r.Value)
		}
	}
	return s
}

func (s SystemSettings) rows() []systemSettingRow {
	return []systemSettingRow{
		{keyTelegramBotToken, s.TelegramBotToken},
		{keyInstanceURL, s.InstanceURL},
		{keyAllowSignUp, strconv.FormatBool(s.AllowSignUp)},
		{keyDisallowPublicVisibility, strconv.FormatBool(s.DisallowPublicVisibility)},
		{keyTelegramPublicChannel, s.TelegramPublicChannel},
		{keyTelegramUpdateMode, string(s.TelegramUpdateMode)},
	}
}

// GetSystemSettings returns the instance settings (defaults when unset).
func (db *DB) GetSystemSettings(ctx context.Context) (SystemSettings, error) {
	var rows []systemSettingRow
	if err := db.r(ctx).Find(&rows).Error; err != nil {
		return SystemSettings{}, translate(err)
	}
	return settingsFromRows(rows), nil
}

// UpdateSystemSettings reads the settings, lets change modify them and
// writes them back in one transaction. After the commit every subscriber of
// the feed receives the new settings, in commit order.
func (db *DB) UpdateSystemSettings(ctx context.Context, change func(*SystemSettings) error) (SystemSettings, error) {
	// The feed lock spans the transaction so that subscribers see changes in
	// the order they were committed.
	db.feed.mu.Lock()
	defer db.feed.mu.Unlock()
	var out SystemSettings
	err := db.tx(ctx, func(tx *gorm.DB) error {
		var rows []systemSettingRow
		if err := tx.Find(&rows).Error; err != nil {
			return err
		}
		s := settingsFromRows(rows)
		if err := change(&s); err != nil {
			return err
		}
		if err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(s.rows()).Error; err != nil {
			return err
		}
		out = s
		return logChange(tx, changeSettings, nil) // changes.go
	})
	if err != nil {
		return SystemSettings{}, err
	}
	if db.pgChanges() == nil {
		// PostgreSQL: the change listener publishes it, in every process.
		db.feed.publishLocked(out)
	}
	return out, nil
}

// SubscribeSettings returns a channel that receives the system settings
// after every committed change, in commit order, until ctx ends. A slow
// subscriber never blocks writers and never misses a change: undelivered
// changes queue for it.
func (db *DB) SubscribeSettings(ctx context.Context) <-chan SystemSettings {
	return db.feed.subscribe(ctx)
}

type settingsFeed struct {
	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	closed bool
}

type subscriber struct {
	mu     sync.Mutex
	queue  []SystemSettings
	wake   chan struct{}
	closed bool
}

func newSettingsFeed() *settingsFeed {
	return &settingsFeed{subs: map[*subscriber]struct{}{}}
}

func (f *settingsFeed) subscribe(ctx context.Context) <-chan SystemSettings {
	out := make(chan SystemSettings)
	s := &subscriber{wake: make(chan struct{}, 1)}
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		close(out)
		return out
	}
	f.subs[s] = struct{}{}
	f.mu.Unlock()
	go func() {
		defer close(out)
		defer func() {
			f.mu.Lock()
			delete(f.subs, s)
			f.mu.Unlock()
		}()
		for {
			s.mu.Lock()
			if len(s.queue) == 0 {
				closed := s.closed
				s.mu.Unlock()
				if closed {
					return
				}
				select {
				case <-s.wake:
					continue
				case <-ctx.Done():
					return
				}
			}
			next := s.queue[0]
			s.queue = s.queue[1:]
			s.mu.Unlock()
			select {
			case out <- next:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// publishLocked queues v for every subscriber; f.mu must be held.
func (f *settingsFeed) publishLocked(v SystemSettings) {
	for s := range f.subs {
		s.mu.Lock()
		s.queue = append(s.queue, v)
		s.mu.Unlock()
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

func (f *settingsFeed) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for s := range f.subs {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// GetUserSettings returns a user's settings (defaults if never saved).
func (db *DB) GetUserSettings(ctx context.Context, userID int64) (UserSettings, error) {
	var row userSettingRow
	err := db.r(ctx).Take(&row, "user_id = ?", userID).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return UserSettings{UserID: userID, DefaultVisibility: VisibilityPrivate}, nil
	}
	if err != nil {
		return UserSettings{}, translate(err)
	}
	return row.toSettings(), nil
}

func (r *userSettingRow) toSettings() UserSettings {
	s := UserSettings{UserID: r.UserID, DefaultVisibility: Visibility(r.DefaultVisibility), Locale: r.Locale,
		TelegramConfirmation: Confirmation(r.TelegramConfirmation), TelegramTag: r.TelegramTag,
		TelegramNotifications: r.TelegramNotifications, Timezone: r.Timezone}
	if r.TelegramUserID != nil {
		s.TelegramUserID = *r.TelegramUserID
	}
	return s
}

// UpdateUserSettings reads a user's settings, lets change modify them and
// writes them back. A Telegram user id linked to another user is
// ErrConflict.
func (db *DB) UpdateUserSettings(ctx context.Context, userID int64, change func(*UserSettings) error) (UserSettings, error) {
	var out UserSettings
	err := db.tx(ctx, func(tx *gorm.DB) error {
		var row userSettingRow
		err := tx.Take(&row, "user_id = ?", userID).Error
		var s UserSettings
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			s = UserSettings{UserID: userID, DefaultVisibility: VisibilityPrivate}
		case err != nil:
			return err
		default:
			s = row.toSettings()
		}
		if err := change(&s); err != nil {
			return err
		}
		s.UserID = userID
		row = userSettingRow{UserID: userID, DefaultVisibility: string(s.DefaultVisibility), Locale: s.Locale,
			TelegramConfirmation: string(s.TelegramConfirmation), TelegramTag: s.TelegramTag,
			TelegramNotifications: s.TelegramNotifications, Timezone: s.Timezone}
		if s.TelegramUserID != 0 {
			id := s.TelegramUserID
			row.TelegramUserID = &id
		}
		if err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&row).Error; err != nil {
			return err
		}
		out = s
		return invalidate(tx, Invalidation{Kind: InvalidateUserSettings, UserID: userID}) // changes.go
	})
	return out, err
}

// GetUserByTelegramID returns the user who linked that Telegram user id.
func (db *DB) GetUserByTelegramID(ctx context.Context, telegramUserID int64) (User, error) {
	var row userRow
	err := db.r(ctx).Joins("JOIN user_settings ON user_settings.user_id = users.id").
		Where("user_settings.telegram_user_id = ?", telegramUserID).Take(&row).Error
	if err != nil {
		return User{}, translate(err)
	}
	return row.toUser(), nil
}
