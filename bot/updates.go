package bot

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

// fileRef is a Telegram file to download into a resource.
type fileRef struct {
	id, uniqueID string
	name, mime   string
	size         int64
}

// incoming is one update, reduced to what the bot acts on.
type incoming struct {
	updateID int64
	// message is set for messages the bot handles; nil means "record the
	// update as handled and move on" (edits, callbacks, unknown kinds,
	// undecodable updates).
	message *gotgbot.Message
	skip    string // why the update is skipped, for logs

	chatID, fromID, messageID int64
	private                   bool
	mediaGroupID              string
	content                   string
	files                     []fileRef
	unsupported               string // a kind the bot does not store, e.g. "sticker"

	// edited marks an edited_message (message holds the new version).
	edited bool
	// replyTo is the message this one replies to, if any.
	replyTo *gotgbot.Message
	// command is a leading bot command without '/' (lower-cased), with
	// the bot it names after '@' ("" for none) and the text after it.
	command, commandBot, args string
	// callback is a button press (message is nil then).
	callback *callbackIn
}

// callbackIn is a callback query: a press on an inline keyboard button.
type callbackIn struct {
	id     string
	fromID int64
	data   string
	// chatID and messageID locate the message with the keyboard (0 when
	// Telegram did not include it); text is its text.
	chatID, messageID int64
	text              string
}

// decodeUpdate decodes one raw update. It never fails: an update that does
// not decode is returned as skipped with its id (if even that is missing,
// the id is 0 and the caller keeps the previous offset).
func decodeUpdate(raw json.RawMessage) incoming {
	var u gotgbot.Update
	if err := json.Unmarshal(raw, &u); err != nil {
		var id struct {
			UpdateID int64 `json:"update_id"`
		}
		_ = json.Unmarshal(raw, &id)
		return incoming{updateID: id.UpdateID, skip: "undecodable update: " + err.Error()}
	}
	in := incoming{updateID: u.UpdateId}
	if q := u.CallbackQuery; q != nil {
		in.callback = &callbackIn{id: q.Id, fromID: q.From.Id, data: q.Data}
		if q.Message != nil {
			in.callback.chatID, in.callback.messageID = q.Message.GetChat().Id, q.Message.GetMessageId()
			if mm, ok := q.Message.(gotgbot.Message); ok {
				in.callback.text = mm.Text
			}
		}
		return in
	}
	m := u.Message
	if m == nil && u.EditedMessage != nil {
		m, in.edited = u.EditedMessage, true
	}
	switch {
	case m == nil:
		in.skip = "update kind not handled: " + updateKind(raw)
		return in
	case m.From == nil:
		in.skip = "message without a sender"
		return in
	}
	in.message = m
	in.chatID, in.fromID, in.messageID = m.Chat.Id, m.From.Id, m.MessageId
	in.private = m.Chat.Type == "private"
	in.mediaGroupID = m.MediaGroupId
	in.replyTo = m.ReplyToMessage
	in.command, in.commandBot, in.args = parseCommand(m.Text, m.Entities)
	in.content, in.files, in.unsupported = messageContent(m)
	return in
}

// messageContent is what a message stores: its text or caption as
// Markdown (after where it was forwarded from), its files, or the name of
// a kind the bot does not store.
func messageContent(m *gotgbot.Message) (content string, files []fileRef, unsupported string) {
	text, entities := m.Text, m.Entities
	if text == "" {
		text, entities = m.Caption, m.CaptionEntities
	}
	content = EntitiesToMarkdown(text, entities)
	if fwd := forwardLine(m); fwd != "" {
		if content == "" {
			content = fwd
		} else {
			content = fwd + "\n\n" + content
		}
	}
	// Telegram shows nothing for U+0000, and the rules refuse it (text
	// on PostgreSQL cannot hold it): drop it rather than the message.
	content = strings.ReplaceAll(content, "\x00", "")
	files, unsupported = attachments(m)
	if unsupported == "" && content == "" && len(files) == 0 {
		unsupported = "this kind of message"
	}
	return content, files, unsupported
}

// parseCommand splits a message that starts with a bot command
// (https://core.telegram.org/bots/api#messageentity, bot_command at offset
// 0) into the command (lower-cased, without '/'), the bot named after '@'
// and the rest of the text.
func parseCommand(text string, entities []gotgbot.MessageEntity) (cmd, bot, args string) {
	if !strings.HasPrefix(text, "/") {
		return "", "", ""
	}
	isCommand := false
	for _, e := range entities {
		if e.Type == "bot_command" && e.Offset == 0 {
			isCommand = true
		}
	}
	if !isCommand && len(entities) > 0 {
		return "", "", ""
	}
	head, rest, _ := strings.Cut(text, " ")
	if i := strings.IndexAny(head, "\n\t"); i >= 0 {
		head, rest = head[:i], head[i+1:]+" "+rest
	}
	head = strings.TrimPrefix(head, "/")
	head, bot, _ = strings.Cut(head, "@")
	if head == "" || len(head) > 64 {
		return "", "", ""
	}
	return strings.ToLower(head), bot, strings.TrimSpace(rest)
}

// updateKind names the first field of an update other than update_id.
func updateKind(raw json.RawMessage) string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return "unknown"
	}
	for k := range fields {
		if k != "update_id" {
			return k
		}
	}
	return "empty"
}

// largestPhoto picks the biggest size by bytes, then by pixels; Telegram
// does not promise any order.
func largestPhoto(sizes []gotgbot.PhotoSize) (gotgbot.PhotoSize, bool) {
	var best gotgbot.PhotoSize
	found := false
	for _, s := range sizes {
		if s.FileId == "" {
			continue
		}
		if !found || s.FileSize > best.FileSize ||
			(s.FileSize == best.FileSize && s.Width*s.Height > best.Width*best.Height) {
			best, found = s, true
		}
	}
	return best, found
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// attachments lists the files of a message, or names an unsupported kind.
func attachments(m *gotgbot.Message) ([]fileRef, string) {
	switch {
	case len(m.Photo) > 0:
		p, ok := largestPhoto(m.Photo)
		if !ok {
			return nil, ""
		}
		return []fileRef{{id: p.FileId, uniqueID: p.FileUniqueId, name: "photo_" + p.FileUniqueId + ".jpg", mime: "image/jpeg", size: p.FileSize}}, ""
	case m.Document != nil:
		d := m.Document
		return []fileRef{{id: d.FileId, uniqueID: d.FileUniqueId, name: orDefault(d.FileName, "document_"+d.FileUniqueId), mime: d.MimeType, size: d.FileSize}}, ""
	case m.Video != nil:
		v := m.Video
		return []fileRef{{id: v.FileId, uniqueID: v.FileUniqueId, name: orDefault(v.FileName, "video_"+v.FileUniqueId+".mp4"), mime: orDefault(v.MimeType, "video/mp4"), size: v.FileSize}}, ""
	case m.Animation != nil:
		a := m.Animation
		return []fileRef{{id: a.FileId, uniqueID: a.FileUniqueId, name: orDefault(a.FileName, "animation_"+a.FileUniqueId+".mp4"), mime: orDefault(a.MimeType, "video/mp4"), size: a.FileSize}}, ""
	case m.Audio != nil:
		a := m.Audio
		return []fileRef{{id: a.FileId, uniqueID: a.FileUniqueId, name: orDefault(a.FileName, "audio_"+a.FileUniqueId+".mp3"), mime: orDefault(a.MimeType, "audio/mpeg"), size: a.FileSize}}, ""
	case m.Voice != nil:
		v := m.Voice
		return []fileRef{{id: v.FileId, uniqueID: v.FileUniqueId, name: "voice_" + v.FileUniqueId + ".ogg", mime: orDefault(v.MimeType, "audio/ogg"), size: v.FileSize}}, ""
	case m.VideoNote != nil:
		v := m.VideoNote
		return []fileRef{{id: v.FileId, uniqueID: v.FileUniqueId, name: "video_note_" + v.FileUniqueId + ".mp4", mime: "video/mp4", size: v.FileSize}}, ""
	case m.Sticker != nil:
		return nil, "stickers"
	case m.Location != nil || m.Venue != nil:
		return nil, "locations"
	case m.Contact != nil:
		return nil, "contacts"
	case m.Poll != nil:
		return nil, "polls"
	case m.Dice != nil:
		return nil, "dice"
	case m.Game != nil:
		return nil, "games"
	case m.Story != nil:
		return nil, "stories"
	}
	return nil, ""
}

// forwardLine says where a forwarded message came from.
func forwardLine(m *gotgbot.Message) string {
	if m.ForwardOrigin == nil {
		return ""
	}
	o := m.ForwardOrigin.MergeMessageOrigin()
	var from string
	switch o.Type {
	case "user":
		if u := o.SenderUser; u != nil {
			from = strings.TrimSpace(u.FirstName + " " + u.LastName)
			if u.Username != "" {
				from += " (@" + u.Username + ")"
			}
		}
	case "hidden_user":
		from = o.SenderUserName
	case "chat":
		if c := o.SenderChat; c != nil {
			from = c.Title
		}
	case "channel":
		if c := o.Chat; c != nil {
			from = c.Title
			if c.Username != "" && o.MessageId != 0 {
				from = fmt.Sprintf("[%s](https://t.me/%s/%d)", c.Title, c.Username, o.MessageId)
			}
		}
	}
	if from == "" {
		from = "an unknown sender"
	}
	return "Forwarded from " + from
}

// ingest keys: one per message (so a redelivered update, whatever its id,
// is recognised) and one per album.
func messageKey(botID int64, in incoming) string { return messageKeyOf(botID, in.chatID, in.messageID) }

// messageKeyOf names any message of a chat (the user's or the bot's): the
// ingest key of a user's message, and the key of the message ↔ memo map.
func messageKeyOf(botID, chatID, messageID int64) string {
	return messagePrefix(botID) + strconv.FormatInt(chatID, 10) + ":" + strconv.FormatInt(messageID, 10)
}

// messagePrefix starts the keys of every message of one bot.
func messagePrefix(botID int64) string { return "telegram:" + strconv.FormatInt(botID, 10) + ":msg:" }

func albumKey(botID int64, in incoming) string {
	return "telegram:" + strconv.FormatInt(botID, 10) + ":album:" + strconv.FormatInt(in.chatID, 10) + ":" + in.mediaGroupID
}
