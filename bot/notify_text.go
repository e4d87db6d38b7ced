package bot

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
)

// The words of notifications. They are plain text (no parse mode): a
// memo's Markdown is shown as written.

const (
	// excerptLines and excerptRunes bound the part of a memo a
	// notification quotes.
	excerptLines = 6
	excerptRunes = 600
	// captionRunes keeps a photo's caption under Telegram's 1,024.
	captionRunes = 900
)

// excerpt is the first lines of a memo's content, at most lines lines
// and n runes, blank lines at the start dropped.
func excerpt(content string, lines, n int) string {
	content = strings.TrimSpace(content)
	if content == "" {
		return "(files only)"
	}
	parts := strings.SplitN(content, "\n", lines+1)
	cut := len(parts) > lines
	if cut {
		parts = parts[:lines]
	}
	s := strings.TrimRight(strings.Join(parts, "\n"), " \n")
	if utf8.RuneCountInString(s) > n {
		return clip(s, n)
	}
	if cut {
		s += "\n…"
	}
	return s
}

func displayName(u store.User) string {
	if u.DisplayName != "" {
		return u.DisplayName + " (@" + u.Username + ")"
	}
	return "@" + u.Username
}

// mentionText tells a user that a memo mentions them.
func mentionText(n rules.Notice) string {
	return fmt.Sprintf("💬 %s mentioned you:\n\n%s\n\n%s", displayName(n.Author), excerpt(n.Memo.Content, excerptLines, excerptRunes),
		memoLink(n.InstanceURL, n.Memo.ID))
}

// channelText is a public memo posted to the channel (a photo's caption
// when it has one).
func channelText(n rules.Notice) string {
	limit := excerptRunes * 2
	if n.Photo != nil {
		limit = captionRunes
	}
	return excerpt(n.Memo.Content, 3*excerptLines, limit) + "\n\n— " + displayName(n.Author) + " · " + memoLink(n.InstanceURL, n.Memo.ID)
}

// onThisDayText lists a user's memos from this date in earlier years.
func onThisDayText(n rules.Notice) string {
	var b strings.Builder
	b.WriteString("📅 On this day\n")
	year := 0
	for _, m := range n.Memos {
		if y := m.CreatedAt.Year(); y != year {
			year = y
			b.WriteString("\n" + strconv.Itoa(y) + "\n")
		}
		b.WriteString("• " + firstLine(m.Content) + " — " + memoLink(n.InstanceURL, m.ID) + "\n")
	}
	if n.More {
		b.WriteString("\n…and more from this date.\n")
	}
	return clip(strings.TrimRight(b.String(), "\n"), maxChunk)
}

// alertText is an admin alert; detail is the bot's error text, or the
// disk's fullness.
func alertText(n rules.Notice, detail string) string {
	switch n.Alert {
	case rules.AlertBotError:
		return "⚠️ Memoria: the Telegram bot has been failing for 10 minutes: " + detail +
			"\n\nSee Settings → Admin → System. (At most one such message an hour.)"
	case rules.AlertDiskFull:
		return "⚠️ Memoria: the disk that holds the data directory is " + detail +
			" full. Free some space: when it is full nothing new can be saved, from the web or from Telegram. (At most one such message an hour.)"
	}
	return "⚠️ Memoria: " + string(n.Alert) + " " + detail
}
