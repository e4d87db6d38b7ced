package rules

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/memoria-app/memoria/store"
)

// Webhook mode: Telegram POSTs each update to TelegramWebhookPath with the
// secret the bot chose in the X-Telegram-Bot-Api-Secret-Token header. The
// server hands the header and the body to AcceptTelegramUpdate, which
// checks the secret and stores the update in the inbox (durably) before
// the server answers 200; the bot handles the inbox in update_id order.

// TelegramWebhookPath is where Telegram delivers updates in webhook mode
// (below instanceUrl).
const TelegramWebhookPath = "/telegram/webhook"

// MaxTelegramUpdateBytes bounds one delivered update (Telegram's are a few
// kilobytes; files are fetched separately).
const MaxTelegramUpdateBytes = 1 << 20

var (
	errWebhookSecret    = Errorf(CodeUnauthenticated, "missing or wrong X-Telegram-Bot-Api-Secret-Token")
	errWebhookMalformed = Errorf(CodeInvalidArgument, "the body must be a Telegram Update: a JSON object with a positive update_id")
)

// validateUpdateMode checks the settings as they would be saved: webhook
// mode needs an https instanceUrl, for Telegram delivers only to https.
func validateUpdateMode(s store.SystemSettings) error {
	if s.TelegramUpdateMode != store.UpdateWebhook || strings.HasPrefix(s.InstanceURL, "https://") {
		return nil
	}
	if s.InstanceURL == "" {
		return invalid("telegram_update_mode WEBHOOK needs an https:// instance_url (Telegram delivers updates only over https to <instance_url>" + TelegramWebhookPath + "); set instance_url first")
	}
	return invalid("telegram_update_mode WEBHOOK needs an https:// instance_url (Telegram delivers updates only over https to <instance_url>" + TelegramWebhookPath + "); use an https URL or switch to TELEGRAM_UPDATE_MODE_POLLING first")
}

// TelegramTokenHash is the fingerprint of a bot token kept beside the
// webhook's secret: a new token gets a new secret.
func TelegramTokenHash(token string) []byte {
	h := sha256.Sum256([]byte("memoria telegram webhook\x00" + token))
	return h[:]
}

// ErrTelegramUpdateTooLarge refuses a delivery over MaxTelegramUpdateBytes.
var ErrTelegramUpdateTooLarge = Errorf(CodeInvalidArgument, "the update is over %d bytes", MaxTelegramUpdateBytes)

// AcceptTelegramUpdate checks a webhook delivery and stores the update in
// the inbox; when it returns nil the update is committed and synced (or
// was already there: a redelivery is accepted and ignored). A missing or
// wrong secret — in any mode — is CodeUnauthenticated (checked before the
// body is read), a body over MaxTelegramUpdateBytes is
// ErrTelegramUpdateTooLarge, and one that is not an update
// CodeInvalidArgument; nothing is stored then. No actor is needed: the
// secret is the caller's credential.
func (r *Rules) AcceptTelegramUpdate(ctx context.Context, secret string, body io.Reader) error {
	sys, err := r.db.GetSystemSettings(ctx)
	if err != nil {
		return err
	}
	hook, err := r.db.GetTelegramWebhook(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return errWebhookSecret
	}
	if err != nil {
		return err
	}
	if sys.TelegramUpdateMode != store.UpdateWebhook || secret == "" ||
		subtle.ConstantTimeCompare([]byte(secret), []byte(hook.Secret)) != 1 {
		return errWebhookSecret
	}
	raw, err := io.ReadAll(io.LimitReader(body, MaxTelegramUpdateBytes+1))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return ErrTelegramUpdateTooLarge
		}
		return Errorf(CodeInvalidArgument, "the update could not be read")
	}
	if len(raw) > MaxTelegramUpdateBytes {
		return ErrTelegramUpdateTooLarge
	}
	var head struct {
		UpdateID *int64 `json:"update_id"`
	}
	if !json.Valid(raw) || json.Unmarshal(raw, &head) != nil || head.UpdateID == nil || *head.UpdateID <= 0 {
		return errWebhookMalformed
	}
	_, err = r.db.AppendTelegramUpdate(ctx, hook.BotID, *head.UpdateID, raw)
	return err
}
