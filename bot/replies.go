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

func replySaved(n int, album bool) string {
	switch {
	case n > 1:
		return fmt.Sprintf("✅ Saved %d messages to Memoria.", n)
	case album:
		return "✅ Saved the album to Memoria."
	}
	return "✅ Saved to Memoria."
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
