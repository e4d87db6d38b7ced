package bot

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"

	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
)

// Webhook mode. Instead of calling getUpdates the bot asks Telegram
// (setWebhook) to POST every update to <instanceUrl>/telegram/webhook with
// a secret header; the server stores each update in the inbox before it
// answers (rules.AcceptTelegramUpdate), and the receiver here handles the
// inbox in update_id order through the same batch handler as polling
// (webhook_inbox.go). Switching back to polling deletes the webhook first
// (Telegram refuses getUpdates while one is set) and finishes the inbox.

// Inbox is the webhook's durable side; *store.DB.
type Inbox interface {
	GetTelegramWebhook(ctx context.Context) (store.TelegramWebhook, error)
	SetTelegramWebhook(ctx context.Context, w store.TelegramWebhook) error
	DeleteTelegramWebhook(ctx context.Context) error
	PendingTelegramUpdates(ctx context.Context, botID int64, limit int) ([]store.InboxUpdate, error)
	MarkTelegramUpdatesDone(ctx context.Context, botID int64, ids []int64) error
	PruneTelegramInbox(ctx context.Context, cutoff time.Time) (int64, error)
	WatchTelegramInbox(ctx context.Context) <-chan struct{}
}

// allowedUpdates are the update kinds the bot acts on, asked for in both
// modes.
var allowedUpdates = []string{"message", "edited_message", "callback_query"}

// allowedUpdatesJSON is allowedUpdates as the getUpdates parameter.
var allowedUpdatesJSON = func() string {
	b, _ := json.Marshal(allowedUpdates)
	return string(b)
}()

// runTarget is what the supervisor runs: a token, and where its updates
// come from. A change of either restarts the poller.
type runTarget struct {
	token string
	// webhookURL is "" for polling.
	webhookURL string
}

// targetOf reads the run target from the settings. Webhook mode without an
// https instanceUrl (the rules refuse to save that) falls back to polling.
func targetOf(s store.SystemSettings) runTarget {
	t := runTarget{token: s.TelegramBotToken}
	if s.TelegramUpdateMode == store.UpdateWebhook && strings.HasPrefix(s.InstanceURL, "https://") {
		t.webhookURL = strings.TrimRight(s.InstanceURL, "/") + rules.TelegramWebhookPath
	}
	return t
}

// receive runs webhook mode until ctx ends: it makes sure the webhook is
// set with this bot's secret, then handles the inbox.
func (p *poller) receive(ctx context.Context, username string, transient, rejected, conflict *backoff) {
	inbox := p.sup.opts.Inbox
	if inbox == nil {
		p.sup.status.set(rules.BotError, username, "webhook mode is not available here (no inbox); switch telegram_update_mode to polling")
		<-ctx.Done()
		return
	}
	var secret string
	for {
		var err error
		if secret, err = p.webhookSecret(ctx, inbox); err == nil {
			break
		}
		p.sup.status.set(rules.BotError, username, "cannot store the webhook's secret: "+storeProblem(err))
		p.log.Error("store webhook secret", "err", err)
		if sleep(ctx, transient.next()) != nil {
			return
		}
	}
	transient.reset()
	for {
		_, err := p.bot.SetWebhookWithContext(ctx, p.webhookURL, &gotgbot.SetWebhookOpts{
			SecretToken:    secret,
			AllowedUpdates: allowedUpdates,
			// One delivery at a time keeps the inbox in update_id order.
			MaxConnections: 1,
			RequestOpts:    &gotgbot.RequestOpts{Timeout: p.sup.opts.RequestTimeout, APIURL: p.ep.APIURL},
		})
		if err == nil {
			break
		}
		if !p.failWebhook(ctx, err, "setWebhook", transient, rejected, conflict, username) {
			return
		}
	}
	transient.reset()
	rejected.reset()
	p.sup.status.set(rules.BotRunning, username, "")
	p.log.Info("telegram bot running (webhook)", "url", p.webhookURL)
	wctx, stopWatch := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		p.watchWebhook(wctx, username)
	}()
	p.consume(ctx, inbox, username, false)
	stopWatch()
	<-watched
}

// failWebhook is fail for the webhook calls: Telegram refusing the
// webhook itself (400: not https, a host it cannot resolve…) is reported
// with Telegram's reason and retried slowly.
func (p *poller) failWebhook(ctx context.Context, err error, what string, transient, rejected, conflict *backoff, username string) bool {
	if ctx.Err() != nil {
		return false
	}
	var te *gotgbot.TelegramError
	if kind, _ := classify(err); kind != failPermanent || !errors.As(err, &te) {
		return p.fail(ctx, err, what, transient, rejected, conflict, username)
	}
	wait := rejected.next()
	p.sup.status.set(rules.BotError, username, "Telegram refused the webhook "+p.webhookURL+" ("+what+"): "+te.Description+
		"; check instance_url, or switch telegram_update_mode to polling")
	p.log.Warn(what+" refused", "err", te.Description, "retry_in", wait.Round(time.Millisecond))
	return sleep(ctx, wait) == nil
}

// webhookSecret returns the secret for this bot and token: the stored one,
// or a new random one stored first (so a restart keeps delivering, and a
// new token gets a new secret). It is never logged.
func (p *poller) webhookSecret(ctx context.Context, inbox Inbox) (string, error) {
	hash := rules.TelegramTokenHash(p.ep.Token)
	w, err := inbox.GetTelegramWebhook(ctx)
	switch {
	case err == nil && w.BotID == p.botID && bytes.Equal(w.TokenHash, hash):
		return w.Secret, nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return "", err
	}
	var raw [32]byte
	rand.Read(raw[:])
	// base64url: only A-Z a-z 0-9 _ -, as Telegram requires.
	secret := base64.RawURLEncoding.EncodeToString(raw[:])
	if err := inbox.SetTelegramWebhook(ctx, store.TelegramWebhook{BotID: p.botID, TokenHash: hash, Secret: secret}); err != nil {
		return "", err
	}
	p.log.Info("new webhook secret")
	return secret, nil
}

// leaveWebhook runs before polling: if this instance set a webhook, it
// deletes it at Telegram (getUpdates would answer 409), handles what is
// left in the inbox, and forgets the webhook. It returns false when ctx
// ended.
func (p *poller) leaveWebhook(ctx context.Context, username string, transient, rejected, conflict *backoff) bool {
	inbox := p.sup.opts.Inbox
	if inbox == nil {
		return true
	}
	for {
		w, err := inbox.GetTelegramWebhook(ctx)
		if errors.Is(err, store.ErrNotFound) {
			return true
		}
		if err == nil {
			if w.BotID == p.botID {
				if !p.deleteWebhook(ctx, username, transient, rejected, conflict) {
					return false
				}
				if !p.consume(ctx, inbox, username, true) {
					return false
				}
			}
			if err = inbox.DeleteTelegramWebhook(ctx); err == nil {
				p.log.Info("webhook deleted; polling")
				return true
			}
		}
		p.log.Error("read or forget the webhook", "err", err)
		if sleep(ctx, transient.next()) != nil {
			return false
		}
	}
}

// deleteWebhook calls deleteWebhook until Telegram agrees (pending updates
// are kept: getUpdates hands them out next).
func (p *poller) deleteWebhook(ctx context.Context, username string, transient, rejected, conflict *backoff) bool {
	for {
		_, err := p.bot.DeleteWebhookWithContext(ctx, &gotgbot.DeleteWebhookOpts{
			RequestOpts: &gotgbot.RequestOpts{Timeout: p.sup.opts.RequestTimeout, APIURL: p.ep.APIURL},
		})
		if err == nil {
			transient.reset()
			return true
		}
		if !p.failWebhook(ctx, err, "deleteWebhook", transient, rejected, conflict, username) {
			return false
		}
	}
}

// storeProblem says briefly why the store failed, for the status.
func storeProblem(err error) string {
	if e, ok := rules.AsError(err); ok {
		return e.Msg
	}
	return "the database failed (see the server log)"
}
