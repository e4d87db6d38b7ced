package server

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/memoria-app/memoria/rules"
)

// telegramWebhookBodyLimit is the body limit of the webhook path
// (limitRequests cuts a longer body off, rules answers 413 for it).
const telegramWebhookBodyLimit = rules.MaxTelegramUpdateBytes + 1

// telegramWebhookHandler is POST rules.TelegramWebhookPath: Telegram's
// delivery of one update in webhook mode. The update is stored durably
// before the 200 (Telegram then forgets it); every other answer makes
// Telegram deliver it again later, except the refusals (401 wrong secret,
// 413 too large, 400 not an update), where nothing is stored. The answer
// body is empty: Telegram reads only the status.
func telegramWebhookHandler(r *rules.Rules, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		err := r.AcceptTelegramUpdate(req.Context(), req.Header.Get("X-Telegram-Bot-Api-Secret-Token"), req.Body)
		w.Header().Set("Cache-Control", "no-store")
		switch {
		case err == nil:
			w.WriteHeader(http.StatusOK)
		case errors.Is(err, rules.ErrTelegramUpdateTooLarge):
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		case rules.ErrorCode(err) == rules.CodeUnauthenticated:
			http.Error(w, err.Error(), http.StatusUnauthorized)
		case rules.ErrorCode(err) == rules.CodeInvalidArgument:
			http.Error(w, err.Error(), http.StatusBadRequest)
		case rules.ErrorCode(err) == rules.CodeResourceExhausted || rules.ErrorCode(err) == rules.CodeUnavailable:
			// Not stored (disk full, shutting down): Telegram retries.
			log.Warn("telegram webhook: update not stored", "err", err)
			http.Error(w, "the update could not be stored now; deliver it again later", http.StatusServiceUnavailable)
		default:
			log.Error("telegram webhook: update not stored", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
	})
}
