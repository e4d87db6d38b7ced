package bot

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/PaulSonOfLars/gotgbot/v2"

	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
)

// The bot's commands. A command is never stored as a memo. Commands run
// after the batch's transaction has committed (the messages before them
// are saved), in update order, and each is applied exactly once across
// crashes, however its key is kept:
//
//   - /undo deletes and records its ingest key in ONE transaction
//     (rules.UndoTelegram): delivered again after a crash, it finds its
//     key and deletes nothing. The redelivery is answered again, naming
//     the memo deleted the first time, so a crash between the commit and
//     the reply costs at most a second "Deleted" reply, never a second
//     deletion nor a lost one.
//   - /unlink, /notify on|off and /start <code> are idempotent (unlinking
//     twice, setting the same value twice, redeeming a code again for the
//     account it linked all leave the state as it is and succeed): their
//     key is recorded AFTER the effect (keyedAfter, markHandled). A crash
//     in between runs them again, harmlessly, and replies again.
//   - The others only read (/help, /search, /recent, /tags, /start alone,
//     /notify alone, usage and unknown commands) and keep no key: a
//     redelivery after a crash replies again. A key recorded before the
//     reply could lose the reply; one recorded after it would cost a
//     write per command to save a rare second reply.

var privateCommands = []gotgbot.BotCommand{
	{Command: "start", Description: "Link this Telegram account (with the code from Memoria)"},
	{Command: "help", Description: "What I can do"},
	{Command: "search", Description: "Search your memos: /search words"},
	{Command: "recent", Description: "Your newest memos: /recent [n]"},
	{Command: "tags", Description: "Your tags with counts"},
	{Command: "undo", Description: "Delete the memo made from your latest message"},
	{Command: "unlink", Description: "Unlink this Telegram account from Memoria"},
	{Command: "notify", Description: "Notifications: /notify on | off"},
}

var groupCommands = []gotgbot.BotCommand{
	{Command: "save", Description: "Save this message, or the one it replies to, to Memoria"},
}

// registerCommands publishes the command lists (setMyCommands): the
// private ones by default, /save for groups. Failures are logged: the
// commands work without being listed.
func (p *poller) registerCommands(ctx context.Context) {
	calls := []struct {
		cmds  []gotgbot.BotCommand
		scope gotgbot.BotCommandScope
	}{{privateCommands, nil}, {groupCommands, gotgbot.BotCommandScopeAllGroupChats{}}}
	for _, c := range calls {
		var opts *gotgbot.SetMyCommandsOpts
		if c.scope != nil {
			opts = &gotgbot.SetMyCommandsOpts{Scope: c.scope}
		}
		if _, err := p.bot.SetMyCommandsWithContext(ctx, c.cmds, opts); err != nil && ctx.Err() == nil {
			p.log.Warn("setMyCommands failed", "err", describe(err))
		}
	}
}

const (
	defaultRecent = 5
	maxRecent     = 20
	maxSearchHits = 10
	// maxQueryRunes bounds /search words (the filter has a size limit).
	maxQueryRunes = 200
	// maxChunk keeps each reply under Telegram's 4,096 UTF-16 units.
	maxChunk = 4000
)

// searchFilter is the ListMemos filter of /search: the full-text search,
// best matches first (quotes in words make phrases).
func searchFilter(words string) string {
	return "search(" + strconv.Quote(words) + ")"
}

// keyedAfter reports whether a command records its key after its effect
// (see above).
func keyedAfter(in incoming) bool {
	switch in.command {
	case "unlink":
		return true
	case "start":
		return in.args != "" && in.private
	case "notify":
		a := strings.ToLower(strings.TrimSpace(in.args))
		return a == "on" || a == "off"
	}
	return false
}

// markHandled records the key of a command whose effect has committed,
// for u. A failure is logged: the command may then run again after a
// crash, which is harmless (keyedAfter).
func (h *batchHandler) markHandled(ctx context.Context, it *prepared, u store.User) {
	h.at(crashApplied, it.in.updateID)
	op := rules.IngestItem{Actor: &rules.Actor{User: u, Source: store.SourceTelegram}, Input: rules.IngestInput{Key: it.key, NoMemo: true}}
	if out := h.p.sup.rules.IngestBatch(ctx, []rules.IngestItem{op}); out[0].Err != nil {
		h.p.log.Warn("command key not recorded", "update_id", it.in.updateID, "command", it.in.command, "err", out[0].Err)
	}
}

// runCommand runs a command (after the batch's commit) and returns the
// replies.
func (h *batchHandler) runCommand(ctx context.Context, it *prepared) []string {
	in := it.in
	if in.command == "start" {
		return []string{h.start(ctx, it)}
	}
	if in.command == "help" {
		return []string{replyHelp}
	}
	if it.user == nil {
		return []string{replyUnlinked(in.fromID)}
	}
	actx := rules.WithActor(ctx, &rules.Actor{User: *it.user, Source: store.SourceTelegram})
	base := it.prefs.InstanceURL
	switch in.command {
	case "search":
		return h.search(actx, in.args, base)
	case "recent":
		return h.recent(actx, in.args, base)
	case "tags":
		return h.tags(actx)
	case "undo":
		res, err := h.p.sup.rules.UndoTelegram(actx, messagePrefix(h.p.botID), it.key)
		if err != nil {
			if rules.ErrorCode(err) == rules.CodeNotFound {
				return []string{"Nothing to undo: no memo from your Telegram messages is left."}
			}
			return []string{chatError(h.p.log, "undo", err)}
		}
		h.at(crashApplied, in.updateID)
		if res.Again {
			// Delivered again after a crash: already done, say so again.
			if res.Memo.ID == 0 {
				return []string{"↩️ Already undone."}
			}
			return []string{"↩️ Deleted " + memoLink(base, res.Memo.ID) + "."}
		}
		return []string{"↩️ Deleted " + memoLink(base, res.Memo.ID) + ": " + firstLine(res.Memo.Content)}
	case "unlink":
		if err := h.p.sup.rules.UnlinkTelegram(actx); err != nil {
			return []string{chatError(h.p.log, "unlink", err)}
		}
		h.markHandled(ctx, it, *it.user)
		return []string{"Unlinked: this Telegram account no longer belongs to the Memoria user " + it.user.Username + ". Messages you send now are not saved."}
	case "notify":
		text, set := h.notify(actx, in.args)
		if set {
			h.markHandled(ctx, it, *it.user)
		}
		return []string{text}
	case "save":
		return []string{saveUsage(in.private)}
	}
	return []string{fmt.Sprintf("I don't know the command /%s. /help lists what I can do.", clip(in.command, 32))}
}

// start links the sender with a code from Memoria (a deep link), or
// greets them.
func (h *batchHandler) start(ctx context.Context, it *prepared) string {
	in := it.in
	code := in.args
	if code == "" || !in.private {
		if it.user != nil {
			return "Hi " + it.user.Username + "! This Telegram account is linked to Memoria: send me anything to save it. /help lists the commands."
		}
		return replyUnlinked(in.fromID)
	}
	u, err := h.p.sup.rules.RedeemTelegramLink(ctx, code, in.fromID)
	if err != nil {
		if rules.ErrorCode(err) == rules.CodeInternal {
			return chatError(h.p.log, "link", err)
		}
		h.p.log.Info("telegram link refused", "telegram_user", in.fromID, "reason", err.Error())
		return "Not linked: " + err.Error() + "."
	}
	h.p.log.Info("telegram account linked", "telegram_user", in.fromID, "user", u.Username)
	h.markHandled(ctx, it, u)
	return replyLinked(u.Username)
}

func (h *batchHandler) search(ctx context.Context, args, base string) []string {
	words := strings.Join(strings.Fields(args), " ")
	if words == "" {
		return []string{"Tell me what to look for: /search <words>"}
	}
	words = clip(words, maxQueryRunes)
	memos, _, err := h.p.sup.rules.ListMemos(ctx, searchFilter(words), maxSearchHits, "")
	if err != nil {
		return []string{chatError(h.p.log, "search", err)}
	}
	if len(memos) == 0 {
		return []string{"No memos match “" + words + "”."}
	}
	return splitReply(fmt.Sprintf("🔎 %d memo(s) match “%s”:", len(memos), words), memoLines(memos, base, words))
}

func (h *batchHandler) recent(ctx context.Context, args, base string) []string {
	n := defaultRecent
	if a := strings.TrimSpace(args); a != "" {
		v, err := strconv.Atoi(a)
		if err != nil || v < 1 {
			return []string{fmt.Sprintf("/recent takes a number of memos, 1 to %d (default %d), e.g. /recent 10", maxRecent, defaultRecent)}
		}
		n = min(v, maxRecent)
	}
	// ListMemos puts pinned memos first: take the newest of each kind and
	// merge them by time.
	var all []store.Memo
	for _, pinned := range []string{"pinned == true", "pinned == false"} {
		ms, _, err := h.p.sup.rules.ListMemos(ctx, pinned, int32(n), "")
		if err != nil {
			return []string{chatError(h.p.log, "recent", err)}
		}
		all = append(all, ms...)
	}
	slices.SortStableFunc(all, func(a, b store.Memo) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return int(b.ID - a.ID)
	})
	if len(all) > n {
		all = all[:n]
	}
	if len(all) == 0 {
		return []string{"You have no memos yet: send me something!"}
	}
	return splitReply(fmt.Sprintf("🕑 Your %d newest memo(s):", len(all)), memoLines(all, base, ""))
}

func (h *batchHandler) tags(ctx context.Context) []string {
	tags, err := h.p.sup.rules.ListTags(ctx)
	if err != nil {
		return []string{chatError(h.p.log, "tags", err)}
	}
	if len(tags) == 0 {
		return []string{"You have no tags yet. Write #words in a memo to tag it."}
	}
	lines := make([]string, len(tags))
	for i, t := range tags {
		lines[i] = fmt.Sprintf("#%s — %d", t.Tag, t.Count)
	}
	return splitReply("🏷 Your tags:", lines)
}

// memoLines is one line per memo: its link and its first line (or, for a
// search, the line where query matched).
func memoLines(memos []store.Memo, base, query string) []string {
	lines := make([]string, len(memos))
	for i, m := range memos {
		line := firstLine(m.Content)
		if query != "" {
			if hit := rules.MatchingLine(m.Content, query); hit != "" {
				line = clip(hit, 120)
			}
		}
		lines[i] = "• " + memoLink(base, m.ID) + " — " + line
	}
	return lines
}

func firstLine(content string) string {
	for _, line := range strings.Split(content, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			return clip(line, 120)
		}
	}
	return "(files only)"
}

// clip shortens s to at most n runes, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// splitReply joins a header and lines into messages that each stay under
// Telegram's limit, breaking between lines.
func splitReply(header string, lines []string) []string {
	var out []string
	cur := header
	size := func(s string) int { return len(utf16.Encode([]rune(s))) }
	for _, l := range lines {
		l = clip(l, maxChunk/2)
		if size(cur)+1+size(l) > maxChunk {
			out = append(out, cur)
			cur = l
			continue
		}
		cur += "\n" + l
	}
	return append(out, cur)
}
