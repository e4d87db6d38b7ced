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
	m := u.Message
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
	text, entities := m.Text, m.Entities
	if text == "" {
		text, entities = m.Caption, m.CaptionEntities
	}
	in.content = EntitiesToMarkdown(text, entities)
	if fwd := forwardLine(m); fwd != "" {
		if in.content == "" {
			in.content = fwd
		} else {
			in.content = fwd + "\n\n" + in.content
		}
	}
	in.files, in.unsupported = attachments(m)
	if in.unsupported == "" && in.content == "" && len(in.files) == 0 {
		in.unsupported = "this kind of message"
	}
	return in
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
func messageKey(botID int64, in incoming) string {
	return "telegram:" + strconv.FormatInt(botID, 10) + ":msg:" + strconv.FormatInt(in.chatID, 10) + ":" + strconv.FormatInt(in.messageID, 10)
}

func albumKey(botID int64, in incoming) string {
	return "telegram:" + strconv.FormatInt(botID, 10) + ":album:" + strconv.FormatInt(in.chatID, 10) + ":" + in.mediaGroupID
}
