package bot

import (
	"context"
	"strings"

	"github.com/PaulSonOfLars/gotgbot/v2"

	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
)

// Button presses (callback queries). They are handled as soon as their
// batch is decoded, beside the batch's messages rather than behind them,
// one at a time in update order, and the batch's offset is stored only
// after they are done. A press is
// no memo and has no ingest key: every action is harmless when repeated
// (a redelivery after a crash) — setting a visibility or pin is
// idempotent and deleting a deleted memo is answered politely.

// maxCallbackAnswer is Telegram's limit for answerCallbackQuery text.
const maxCallbackAnswer = 200

// handleCallback acts on one press and answers it.
func (h *batchHandler) handleCallback(ctx context.Context, cache *userCache, cb *callbackIn) {
	answer := func(text string) {
		_, err := h.p.bot.AnswerCallbackQueryWithContext(ctx, cb.id, &gotgbot.AnswerCallbackQueryOpts{Text: clip(text, maxCallbackAnswer)})
		if err != nil && ctx.Err() == nil {
			// An old query (e.g. redelivered after a restart) can no
			// longer be answered; the action is done all the same.
			h.p.log.Info("answerCallbackQuery failed", "err", describe(err))
		}
	}
	u, err := h.lookup(ctx, cache, cb.fromID)
	if err != nil {
		answer(chatError(h.p.log, "button", err))
		return
	}
	if u == nil {
		answer("This Telegram account is not linked to a Memoria user, so these buttons are not yours.")
		return
	}
	op, id, ok := parseCallbackData(cb.data)
	if !ok {
		h.p.log.Info("unknown callback data", "telegram_user", cb.fromID, "data", clip(cb.data, 64))
		answer("This button is not (or no longer) valid.")
		return
	}
	actx := rules.WithActor(ctx, &rules.Actor{User: *u, Source: store.SourceTelegram})
	r := h.p.sup.rules
	m, err := r.GetMemo(actx, id)
	switch {
	case rules.ErrorCode(err) == rules.CodePermissionDenied || (err == nil && m.CreatorID != u.ID):
		answer("Only the memo's owner can use these buttons.")
		return
	case rules.ErrorCode(err) == rules.CodeNotFound:
		answer("That memo no longer exists (deleted).")
		return
	case err != nil:
		answer(chatError(h.p.log, "button", err))
		return
	}
	var done string
	switch op {
	case opDelete:
		err = r.DeleteMemo(actx, id)
		done = "Deleted."
	case opPin, opUnpin:
		pinned := op == opPin
		m, err = r.UpdateMemo(actx, id, rules.MemoPatch{Pinned: &pinned})
		done = map[bool]string{true: "Pinned.", false: "Unpinned."}[pinned]
	default:
		v := opVisibility[op]
		m, err = r.UpdateMemo(actx, id, rules.MemoPatch{Visibility: &v})
		done = "Now " + visibilityLabel[v] + "."
	}
	if rules.ErrorCode(err) == rules.CodeNotFound {
		answer("That memo no longer exists (deleted).")
		return
	}
	if err != nil {
		answer(chatError(h.p.log, "button", err))
		return
	}
	answer(done)
	if cb.messageID == 0 {
		return
	}
	prefs, _ := r.TelegramPrefs(actx)
	h.editConfirmation(ctx, cb, op == opDelete, m, prefs.InstanceURL)
}

// editConfirmation shows a memo's new state on the confirmation pressed.
func (h *batchHandler) editConfirmation(ctx context.Context, cb *callbackIn, deleted bool, m store.Memo, base string) {
	opts := &gotgbot.EditMessageTextOpts{ChatId: cb.chatID, MessageId: cb.messageID,
		LinkPreviewOptions: &gotgbot.LinkPreviewOptions{IsDisabled: true}}
	if deleted {
		opts.Text = "🗑 Deleted " + memoLink(base, m.ID) + "."
	} else {
		head, _, _ := strings.Cut(cb.text, "\n")
		if head == "" {
			head = "✅ " + memoLink(base, m.ID)
		}
		cm := confirmedFrom(m)
		opts.Text = head + "\n" + stateLine(cm)
		opts.ReplyMarkup = confirmKeyboard(cm)
	}
	if _, _, err := h.p.bot.EditMessageTextWithContext(ctx, opts); err != nil && ctx.Err() == nil {
		// "message is not modified" when the press changed nothing.
		h.p.log.Debug("confirmation not edited", "err", describe(err))
	}
}
