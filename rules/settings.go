package rules

import (
	"context"
	"errors"
	"net/url"
	"unicode/utf8"

	"github.com/memoria-app/memoria/store"
	"github.com/memoria-app/memoria/tgtoken"
)

// SystemPatch names the system settings to change; nil fields stay.
type SystemPatch struct {
	TelegramBotToken         *string
	InstanceURL              *string
	AllowSignUp              *bool
	DisallowPublicVisibility *bool
	TelegramPublicChannel    *string
	TelegramUpdateMode       *store.UpdateMode
}

// GetSystemSettings returns the system settings (admin only).
func (r *Rules) GetSystemSettings(ctx context.Context) (store.SystemSettings, error) {
	if _, err := requireAdmin(ctx); err != nil {
		return store.SystemSettings{}, err
	}
	return r.db.GetSystemSettings(ctx)
}

// ValidateTelegramBotToken checks the telegramBotToken setting: empty, a
// bot token or a proxy URL ending in /bot<token>. The error never repeats
// the value, which may be a secret.
func ValidateTelegramBotToken(s string) error {
	if _, err := tgtoken.Parse(s); err != nil && !errors.Is(err, tgtoken.ErrEmpty) {
		return invalid("telegram_bot_token: %v", err)
	}
	return nil
}

func validateInstanceURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(s) > 2048 {
		return invalid("instance_url must be an http:// or https:// URL such as https://memo.example.com")
	}
	return nil
}

// UpdateSystemSettings changes system settings (admin only). Subscribers
// of the settings feed (the bot supervisor) see the change on commit.
func (r *Rules) UpdateSystemSettings(ctx context.Context, p SystemPatch) (store.SystemSettings, error) {
	if _, err := requireAdmin(ctx); err != nil {
		return store.SystemSettings{}, err
	}
	if p.TelegramBotToken != nil {
		if err := ValidateTelegramBotToken(*p.TelegramBotToken); err != nil {
			return store.SystemSettings{}, err
		}
	}
	if p.InstanceURL != nil {
		if err := validateInstanceURL(*p.InstanceURL); err != nil {
			return store.SystemSettings{}, err
		}
	}
	if p.TelegramPublicChannel != nil {
		if err := validatePublicChannel(*p.TelegramPublicChannel); err != nil {
			return store.SystemSettings{}, err
		}
	}
	if m := p.TelegramUpdateMode; m != nil && *m != store.UpdatePolling && *m != store.UpdateWebhook {
		return store.SystemSettings{}, invalid("telegram_update_mode must be TELEGRAM_UPDATE_MODE_POLLING or TELEGRAM_UPDATE_MODE_WEBHOOK")
	}
	return r.db.UpdateSystemSettings(ctx, func(s *store.SystemSettings) error {
		if p.TelegramBotToken != nil {
			s.TelegramBotToken = *p.TelegramBotToken
		}
		if p.InstanceURL != nil {
			s.InstanceURL = *p.InstanceURL
		}
		if p.AllowSignUp != nil {
			s.AllowSignUp = *p.AllowSignUp
		}
		if p.DisallowPublicVisibility != nil {
			s.DisallowPublicVisibility = *p.DisallowPublicVisibility
		}
		if p.TelegramPublicChannel != nil {
			s.TelegramPublicChannel = *p.TelegramPublicChannel
		}
		if p.TelegramUpdateMode != nil {
			s.TelegramUpdateMode = *p.TelegramUpdateMode
		}
		return validateUpdateMode(*s)
	})
}

// UserSettingsPatch names the user settings to change; nil fields stay.
type UserSettingsPatch struct {
	TelegramUserID       *int64
	DefaultVisibility    *store.Visibility
	Locale               *string
	TelegramConfirmation *store.Confirmation
	TelegramTag          *string
	// TelegramNotifications and Timezone: see notify_settings.go.
	TelegramNotifications *bool
	Timezone              *string
}

// validTelegramTag checks a telegramTag setting: empty, or one tag
// (without '#') as ExtractTags reads it.
func validTelegramTag(tag string) error {
	if tag == "" {
		return nil
	}
	if t := ExtractTags("#" + tag); len(t) != 1 || t[0] != tag {
		return invalid("telegram_tag must be one tag without '#' (letters, digits, _ - /), e.g. telegram")
	}
	return nil
}

// GetUserSettings returns the actor's settings.
func (r *Rules) GetUserSettings(ctx context.Context) (store.UserSettings, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return store.UserSettings{}, err
	}
	return r.db.GetUserSettings(ctx, a.User.ID)
}

// UpdateUserSettings changes the actor's settings. A Telegram user id
// linked to another user is AlreadyExists.
func (r *Rules) UpdateUserSettings(ctx context.Context, p UserSettingsPatch) (store.UserSettings, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return store.UserSettings{}, err
	}
	if p.TelegramUserID != nil && *p.TelegramUserID < 0 {
		return store.UserSettings{}, invalid("telegram_user_id must be a positive number (your numeric Telegram user id), or 0 to unlink")
	}
	if p.DefaultVisibility != nil {
		switch *p.DefaultVisibility {
		case "":
			return store.UserSettings{}, invalid("default_visibility must be VISIBILITY_PRIVATE, VISIBILITY_PROTECTED or VISIBILITY_PUBLIC")
		case store.VisibilityPublic:
			sys, err := r.db.GetSystemSettings(ctx)
			if err != nil {
				return store.UserSettings{}, err
			}
			if sys.DisallowPublicVisibility {
				return store.UserSettings{}, errPublicDisallowed
			}
		}
	}
	if p.Locale != nil && (utf8.RuneCountInString(*p.Locale) > 16 || !utf8.ValidString(*p.Locale)) {
		return store.UserSettings{}, invalid("locale must be a language tag of at most 16 characters, e.g. en")
	}
	if p.Locale != nil {
		if err := refuseNUL("locale", *p.Locale); err != nil {
			return store.UserSettings{}, err
		}
	}
	if c := p.TelegramConfirmation; c != nil && *c != store.ConfirmReply && *c != store.ConfirmReaction && *c != store.ConfirmSilent {
		return store.UserSettings{}, invalid("telegram_confirmation must be TELEGRAM_CONFIRMATION_REPLY, TELEGRAM_CONFIRMATION_REACTION or TELEGRAM_CONFIRMATION_SILENT")
	}
	if p.TelegramTag != nil {
		if err := validTelegramTag(*p.TelegramTag); err != nil {
			return store.UserSettings{}, err
		}
	}
	if p.Timezone != nil {
		if err := validateTimezone(*p.Timezone); err != nil {
			return store.UserSettings{}, err
		}
	}
	defer r.settings.forget(a.User.ID)
	var before int64
	s, err := r.db.UpdateUserSettings(ctx, a.User.ID, func(s *store.UserSettings) error {
		before = s.TelegramUserID
		if p.TelegramUserID != nil {
			s.TelegramUserID = *p.TelegramUserID
		}
		if p.TelegramConfirmation != nil {
			s.TelegramConfirmation = *p.TelegramConfirmation
		}
		if p.TelegramTag != nil {
			s.TelegramTag = *p.TelegramTag
		}
		if p.DefaultVisibility != nil {
			s.DefaultVisibility = *p.DefaultVisibility
		}
		if p.Locale != nil {
			s.Locale = *p.Locale
		}
		if p.TelegramNotifications != nil {
			s.TelegramNotifications = *p.TelegramNotifications
		}
		if p.Timezone != nil {
			s.Timezone = *p.Timezone
		}
		return nil
	})
	if errors.Is(err, store.ErrConflict) && p.TelegramUserID != nil {
		return store.UserSettings{}, Errorf(CodeAlreadyExists, "telegram_user_id: Telegram user id %d is already linked to another user", *p.TelegramUserID)
	}
	if err == nil && s.TelegramUserID != 0 && s.TelegramUserID != before {
		r.notifyLinked(s.TelegramUserID, a.User.Username)
	}
	return s, err
}
