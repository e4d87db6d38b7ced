package bot

import (
	"regexp"
	"strings"
)

// What an update asks of the bot. In private chats every message is
// saved and commands are run. In groups (where privacy mode lets the bot
// see only commands, mentions and replies to it) a message is saved only
// when it mentions the bot, replies to one of its messages, or is /save
// (the one command listed for groups); nothing else is stored or answered.

type action int

const (
	actSkip    action = iota // nothing to do
	actSave                  // store as a memo (or add to one)
	actCommand               // run a command
	actEdit                  // apply an edited message to its memo
)

// classify decides what to do with a message update, rewriting its content
// for groups (the bot's mention removed; /save takes the message it
// replies to).
func (h *batchHandler) classify(in *incoming) action {
	if in.message == nil {
		return actSkip
	}
	forUs := in.command != "" && (in.commandBot == "" || strings.EqualFold(in.commandBot, h.p.username))
	if in.command != "" && !forUs {
		return actSkip // a command for another bot
	}
	if in.edited {
		if in.command != "" {
			return actSkip
		}
		if !in.private {
			in.content = stripMention(in.content, h.p.username)
		}
		return actEdit
	}
	if in.private {
		if forUs {
			return actCommand
		}
		return actSave
	}
	switch {
	case forUs && in.command == "save":
		if r := in.replyTo; r != nil {
			in.content, in.files, in.unsupported = messageContent(r)
			in.mediaGroupID, in.replyTo = "", nil
		} else {
			in.content = strings.TrimSpace(stripCommand(in.content))
			in.files, in.unsupported = nil, ""
			if in.content == "" {
				return actCommand // says how to use /save
			}
		}
		return actSave
	case forUs:
		return actSkip // other commands are for private chats
	case h.mentionsBot(in):
		in.content = stripMention(in.content, h.p.username)
		if in.content == "" && len(in.files) == 0 {
			return actSkip
		}
		in.unsupported = ""
		return actSave
	case in.replyTo != nil && in.replyTo.From != nil && in.replyTo.From.Id == h.p.botID:
		return actSave
	}
	return actSkip
}

// saveUsage answers a /save that has nothing to save.
func saveUsage(private bool) string {
	if private {
		return "In a private chat, just send me the message: everything you send is saved. /save is for groups."
	}
	return "Nothing to save: reply /save to the message to save, or write the text after it (/save buy milk)."
}

func (h *batchHandler) mentionsBot(in *incoming) bool {
	return h.p.username != "" && strings.Contains(strings.ToLower(in.content), "@"+strings.ToLower(h.p.username))
}

var spaces = regexp.MustCompile(`[ \t]{2,}`)

// stripMention removes @username (any case) from Markdown content.
func stripMention(content, username string) string {
	if username == "" {
		return content
	}
	re := regexp.MustCompile(`(?i)@` + regexp.QuoteMeta(username) + `\b`)
	return strings.TrimSpace(spaces.ReplaceAllString(re.ReplaceAllString(content, ""), " "))
}

// stripCommand removes the leading /command[@bot] from content.
func stripCommand(content string) string {
	if !strings.HasPrefix(content, "/") {
		return content
	}
	i := strings.IndexAny(content, " \n\t")
	if i < 0 {
		return ""
	}
	return content[i+1:]
}
