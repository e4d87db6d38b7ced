package bot

import (
	"fmt"
	"strings"
)

// The bot's chat replies. They are the only text a Telegram user sees, so
// they say what happened and what to do, and never carry raw errors.

func replyUnlinked(telegramUserID int64) string {
	return fmt.Sprintf("Hi! I save messages to Memoria, but this Telegram account is not linked to a Memoria user yet.\n\n"+
		"Your Telegram user id is %d\n\n"+
		"Paste it into Memoria → Settings → Preferences → Telegram UserID, save, and send your message again.", telegramUserID)
}

const supportedKinds = "text (with formatting), photos and albums, documents, videos, audio, voice messages, video notes and animations"

func replyUnsupported(kind string) string {
	return fmt.Sprintf("Sorry, I can't save %s. I can save %s.", kind, supportedKinds)
}

// failedFile is a file that could not be stored, with a reason for the user.
type failedFile struct {
	name, reason string
}

// replyFilesFailed follows a saved memo whose files (some or all) could not
// be stored.
func replyFilesFailed(files []failedFile) string {
	var b strings.Builder
	b.WriteString("⚠️ Saved the message, but not these files:\n")
	for _, f := range files {
		fmt.Fprintf(&b, "• %s — %s\n", f.name, f.reason)
	}
	return strings.TrimSpace(b.String())
}

const replyNotSaved = "⚠️ Sorry, I could not save that message: "

func replyLinked(username string) string {
	return fmt.Sprintf("🔗 This Telegram account is now linked to the Memoria user %s. What you send me becomes their memos; /help lists what else I can do, /unlink undoes the link.", username)
}

const replyHelp = `I save what you send me to Memoria: text (with formatting), photos and albums, documents, videos, audio, voice messages and video notes.

After each saved message I reply with the memo's link and buttons: Private / Protected / Public (the current one is marked ✓), Pin or Unpin, and Delete.
Reply to a saved message (or to my confirmation) to add to that memo; edit a message to update its memo.

/search <words> — your memos that contain the words
/recent [n] — your n newest memos (default 5, at most 20)
/tags — your tags, most used first
/undo — delete the memo made from your latest message
/unlink — unlink this Telegram account from Memoria
/notify on | off — messages when a memo mentions you, and "On this day" at 09:00
/help — this text

In groups I save a linked member's message only when it mentions me, replies to one of my messages, or is /save (its own text, or the message it replies to).`

const replyInternal = "⚠️ Something went wrong on the Memoria server; please try again later."
