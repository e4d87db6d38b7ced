package bot

import (
	"context"
	"strconv"
	"strings"

	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
)

// Edits and replies: an edited message updates the memo it made, and a
// reply to a saved message (or to the bot's confirmation of it) adds to
// that memo. Both find the memo through the message ↔ memo map that the
// rules keep with every ingest and confirmation.

// replyTarget is the memo a message adds to: the one behind the message
// it replies to, when that is the sender's own saved message or the bot's
// confirmation of the sender's memo; 0 for a new memo. several reports a
// reply to a confirmation that lists several memos (a merged one): it
// names no one memo to add to, so the message becomes a new memo, and its
// confirmation says why.
func (h *batchHandler) replyTarget(ctx context.Context, u store.User, in incoming) (id int64, several bool, err error) {
	r := in.replyTo
	if r == nil || r.From == nil || in.mediaGroupID != "" {
		return 0, false, nil
	}
	if r.From.Id != in.fromID && r.From.Id != h.p.botID {
		return 0, false, nil
	}
	actx := rules.WithActor(ctx, &rules.Actor{User: u, Source: store.SourceTelegram})
	ref, err := h.p.sup.rules.TelegramMessage(actx, messageKeyOf(h.p.botID, in.chatID, r.MessageId))
	switch rules.ErrorCode(err) {
	case rules.CodeNotFound:
		if r.From.Id == h.p.botID {
			// A confirmation whose link to its memo is not recorded yet
			// (the reply came at once, while the sender was still
			// recording it) names its one memo in its text; the rules
			// check it is the sender's before anything is added. A merged
			// confirmation is never recorded: it names several.
			id, n := linkedMemos(r.Text)
			if n > 1 {
				return 0, true, nil
			}
			return id, false, nil
		}
		return 0, false, nil // a message that made no memo (or someone else's): a new memo
	case rules.CodeInternal:
		if err != nil {
			return 0, false, err
		}
	}
	return ref.MemoID, false, nil
}

// linkedMemos returns how many distinct memos a confirmation's text links
// ("…/memos/<id>"), and the id when it is one; a link without a valid id
// makes the text name no memo (0, 0).
func linkedMemos(text string) (id int64, n int) {
	seen := map[int64]bool{}
	for rest := text; ; {
		i := strings.Index(rest, "memos/")
		if i < 0 {
			break
		}
		rest = rest[i+len("memos/"):]
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		v, err := strconv.ParseInt(rest[:j], 10, 64)
		if err != nil || v <= 0 {
			return 0, 0 // not a memo's link
		}
		if !seen[v] {
			seen[v] = true
			id = v
		}
	}
	if len(seen) != 1 {
		id = 0
	}
	return id, len(seen)
}

// applyEdit replaces the memo content that an edited message put there.
// Edits of messages that made no memo are ignored quietly; a memo changed
// outside Telegram since is kept, and the sender is told.
func (h *batchHandler) applyEdit(ctx context.Context, it *prepared) {
	in := it.in
	actx := rules.WithActor(ctx, &rules.Actor{User: *it.user, Source: store.SourceTelegram})
	m, changed, err := h.p.sup.rules.EditFromTelegram(actx, it.key, in.content)
	send := func(text string) {
		h.p.sender.enqueue(outMessage{chatID: in.chatID, replyTo: in.messageID, text: text})
	}
	switch {
	case err == nil && changed:
		h.p.log.Debug("memo updated from an edit", "memo", m.ID, "update_id", in.updateID)
	case err == nil:
	case rules.ErrorCode(err) == rules.CodeNotFound:
		h.p.log.Debug("edit of a message that made no memo", "update_id", in.updateID)
	case err == rules.ErrChangedElsewhere:
		send("✏️ Not updated: " + memoLink(it.prefs.InstanceURL, m.ID) + " was changed outside Telegram since, so I kept it as it is.")
	default:
		send(chatError(h.p.log, "edit", err))
	}
}
