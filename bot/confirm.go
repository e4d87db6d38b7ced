package bot

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/PaulSonOfLars/gotgbot/v2"

	"github.com/memoria-app/memoria/store"
)

// Confirmations: the reply to a saved message with the memo's link and an
// inline keyboard (visibility, pin, delete), and the callback data its
// buttons carry.

// confirmedMemo is a memo a confirmation names, in the state it shows.
type confirmedMemo struct {
	id       int64
	vis      store.Visibility
	pinned   bool
	appended bool // the message was added to an existing memo
	album    bool
	// replyToSeveral: the message replied to a confirmation of several memos,
	// which names none to add to, so it made this new memo.
	replyToSeveral bool
}

// replyToListNote explains a new memo made by a reply to a merged
// confirmation, and how to add to a memo instead.
const replyToListNote = "ℹ️ That confirmation lists several memos, so I saved your reply as a new memo. To add to one of them, reply to your own message that made it."

func confirmedFrom(m store.Memo) confirmedMemo {
	return confirmedMemo{id: m.ID, vis: m.Visibility, pinned: m.Pinned}
}

// memoLink is <instanceUrl>/memos/<id>, or the memo's name without an
// instance URL.
func memoLink(base string, id int64) string {
	name := "memos/" + strconv.FormatInt(id, 10)
	if base == "" {
		return name
	}
	return base + "/" + name
}

// maxListedMemos bounds the links in a merged confirmation (the message
// must stay under Telegram's 4,096 characters).
const maxListedMemos = 50

// confirmText is the text of a confirmation of one or more memos.
func confirmText(memos []confirmedMemo, base string) string {
	if len(memos) == 1 {
		m := memos[0]
		head := "✅ Saved to Memoria: " + memoLink(base, m.id)
		switch {
		case m.appended:
			head = "➕ Added to " + memoLink(base, m.id)
		case m.album:
			head = "✅ Saved the album to Memoria: " + memoLink(base, m.id)
		}
		text := head + "\n" + stateLine(m)
		if m.replyToSeveral {
			text += "\n" + replyToListNote
		}
		return text
	}
	var b strings.Builder
	fmt.Fprintf(&b, "✅ Saved %d messages to Memoria:", len(memos))
	for i, m := range memos {
		if i == maxListedMemos {
			fmt.Fprintf(&b, "\n… and %d more", len(memos)-i)
			break
		}
		b.WriteString("\n• " + memoLink(base, m.id))
		if m.appended {
			b.WriteString(" (added to)")
		}
	}
	if slices.ContainsFunc(memos, func(m confirmedMemo) bool { return m.replyToSeveral }) {
		b.WriteString("\n" + replyToListNote)
	}
	return b.String()
}

var visibilityLabel = map[store.Visibility]string{
	store.VisibilityPrivate: "Private", store.VisibilityProtected: "Protected", store.VisibilityPublic: "Public",
}

// stateLine shows a memo's visibility and pin.
func stateLine(m confirmedMemo) string {
	s := visibilityLabel[m.vis]
	if m.pinned {
		s += " · pinned"
	}
	return s
}

// Callback data is "1:<op>:<memo id>" (at most 25 bytes, well within
// Telegram's 64).
const (
	opPrivate   = "vpr"
	opProtected = "vpt"
	opPublic    = "vpu"
	opPin       = "pin"
	opUnpin     = "unp"
	opDelete    = "del"
)

var opVisibility = map[string]store.Visibility{
	opPrivate: store.VisibilityPrivate, opProtected: store.VisibilityProtected, opPublic: store.VisibilityPublic,
}

func callbackData(op string, id int64) string { return "1:" + op + ":" + strconv.FormatInt(id, 10) }

// parseCallbackData reads callback data; ok is false for anything the bot
// did not make.
func parseCallbackData(data string) (op string, id int64, ok bool) {
	parts := strings.Split(data, ":")
	if len(parts) != 3 || parts[0] != "1" {
		return "", 0, false
	}
	id, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != parts[2] {
		return "", 0, false
	}
	switch parts[1] {
	case opPrivate, opProtected, opPublic, opPin, opUnpin, opDelete:
		return parts[1], id, true
	}
	return "", 0, false
}

// confirmKeyboard is the keyboard of a one-memo confirmation.
func confirmKeyboard(m confirmedMemo) gotgbot.InlineKeyboardMarkup {
	vis := func(label, op string, v store.Visibility) gotgbot.InlineKeyboardButton {
		if m.vis == v {
			label = "✓ " + label
		}
		return gotgbot.InlineKeyboardButton{Text: label, CallbackData: callbackData(op, m.id)}
	}
	pin := gotgbot.InlineKeyboardButton{Text: "Pin", CallbackData: callbackData(opPin, m.id)}
	if m.pinned {
		pin = gotgbot.InlineKeyboardButton{Text: "Unpin", CallbackData: callbackData(opUnpin, m.id)}
	}
	return gotgbot.InlineKeyboardMarkup{InlineKeyboard: [][]gotgbot.InlineKeyboardButton{
		{vis("Private", opPrivate, store.VisibilityPrivate), vis("Protected", opProtected, store.VisibilityProtected), vis("Public", opPublic, store.VisibilityPublic)},
		{pin, {Text: "Delete", CallbackData: callbackData(opDelete, m.id)}},
	}}
}
