package rules

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"time"

	"github.com/memoria-app/memoria/store"
)

// Linking a Telegram account by deep link: the signed-in user asks for a
// code (CreateTelegramLink), opens t.me/<bot>?start=<code> on the phone,
// and the bot redeems the code for the sender (RedeemTelegramLink).

const (
	// LinkCodeTTL is how long a link code works.
	LinkCodeTTL = 10 * time.Minute
	// linkCodesPerWindow codes per user per linkCodeWindow.
	linkCodesPerWindow = 5
	linkCodeWindow     = 10 * time.Minute
	// maxLinkCodeLen bounds what the bot accepts after /start.
	maxLinkCodeLen = 64
)

// TelegramLink is a one-time deep link to the bot.
type TelegramLink struct {
	URL       string
	Code      string
	ExpiresAt time.Time
}

// TelegramNotifier tells a Telegram account that it was linked; the bot
// runner implements it (see AttachBot).
type TelegramNotifier interface {
	NotifyTelegramLinked(telegramUserID int64, username string)
}

func hashLinkCode(code string) []byte {
	h := sha256.Sum256([]byte("memoria link code\x00" + code))
	return h[:]
}

// CreateTelegramLink makes a code that links whoever sends /start <code>
// to the bot to the actor, once, within LinkCodeTTL. The bot must be
// running (its username is in the link); a user gets a handful of codes per
// ten minutes.
func (r *Rules) CreateTelegramLink(ctx context.Context) (TelegramLink, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return TelegramLink{}, err
	}
	r.botMu.Lock()
	src := r.bot
	r.botMu.Unlock()
	var st BotStatus
	if src != nil {
		st = src.Status()
	}
	if st.State != BotRunning || st.Username == "" {
		return TelegramLink{}, Errorf(CodeFailedPrecondition, "the Telegram bot is not running; ask an admin to check Settings → Admin → Bot, or link by pasting your Telegram UserID")
	}
	now := time.Now()
	n, err := r.db.CountLinkCodes(ctx, a.User.ID, now.Add(-linkCodeWindow))
	if err != nil {
		return TelegramLink{}, err
	}
	if n >= linkCodesPerWindow {
		return TelegramLink{}, Errorf(CodeResourceExhausted, "too many Telegram links asked for in the last %d minutes; use the last one or wait a few minutes", int(linkCodeWindow/time.Minute))
	}
	raw := make([]byte, 18)
	if _, err := rand.Read(raw); err != nil {
		return TelegramLink{}, err
	}
	code := base64.RawURLEncoding.EncodeToString(raw) // 24 of [A-Za-z0-9_-], as deep links allow
	exp := now.Add(LinkCodeTTL)
	if err := r.db.CreateLinkCode(ctx, a.User.ID, hashLinkCode(code), exp); err != nil {
		return TelegramLink{}, err
	}
	return TelegramLink{URL: "https://t.me/" + st.Username + "?start=" + code, Code: code, ExpiresAt: exp}, nil
}

// Link code failures, each with a reason for the Telegram user.
var (
	ErrLinkCodeUnknown = Errorf(CodeNotFound, "this link code is not known; open Memoria → Settings → Preferences → Connect Telegram for a new link")
	ErrLinkCodeUsed    = Errorf(CodeFailedPrecondition, "this link code was already used; each link works once — ask Memoria for a new one")
	ErrLinkCodeExpired = Errorf(CodeFailedPrecondition, "this link code has expired (codes work for 10 minutes); ask Memoria for a new one")
	ErrTelegramTaken   = Errorf(CodeAlreadyExists, "this Telegram account is already linked to another Memoria user; send /unlink first")
)

// RedeemTelegramLink spends code for the Telegram user telegramUserID and
// returns the Memoria user it is now linked to. There is no actor: the
// code is the proof. Nothing changes on error.
func (r *Rules) RedeemTelegramLink(ctx context.Context, code string, telegramUserID int64) (store.User, error) {
	if code == "" || len(code) > maxLinkCodeLen || telegramUserID <= 0 {
		return store.User{}, ErrLinkCodeUnknown
	}
	c, err := r.db.RedeemLinkCode(ctx, hashLinkCode(code), telegramUserID, time.Now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.User{}, ErrLinkCodeUnknown
	case errors.Is(err, store.ErrCodeSpent) && !c.UsedAt.IsZero():
		return store.User{}, ErrLinkCodeUsed
	case errors.Is(err, store.ErrCodeSpent):
		return store.User{}, ErrLinkCodeExpired
	case errors.Is(err, store.ErrConflict):
		return store.User{}, ErrTelegramTaken
	case err != nil:
		return store.User{}, err
	}
	r.settings.forget(c.UserID)
	u, err := r.db.GetUser(ctx, c.UserID)
	return u, notFoundAs(err, "user")
}

// UnlinkTelegram unlinks the actor's Telegram account.
func (r *Rules) UnlinkTelegram(ctx context.Context) error {
	zero := int64(0)
	_, err := r.UpdateUserSettings(ctx, UserSettingsPatch{TelegramUserID: &zero})
	return err
}

// notifyLinked tells a newly linked Telegram account whose it is.
func (r *Rules) notifyLinked(telegramUserID int64, username string) {
	r.botMu.Lock()
	src := r.bot
	r.botMu.Unlock()
	if n, ok := src.(TelegramNotifier); ok {
		n.NotifyTelegramLinked(telegramUserID, username)
	}
}
