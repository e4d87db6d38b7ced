package telegramtest

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

// maxPhotoUpload is the size limit of an uploaded photo
// (https://core.telegram.org/bots/api#sendphoto: at most 10 MB).
const maxPhotoUpload = 10 << 20

// maxCaption is the caption limit in UTF-16 code units, after entities
// parsing (https://core.telegram.org/bots/api#sendphoto: 0-1024).
const maxCaption = 1024

// https://core.telegram.org/bots/api#sendphoto
//
// photo is an uploaded file (a multipart part named "photo", or
// "attach://<name>" naming another part) or the file_id of a photo the
// fake knows. Uploads must be images (the fake sniffs the bytes as
// Telegram's image processing would fail on anything else) of at most
// 10 MB. The message stored and returned carries the photo's sizes, the
// largest being the bytes sent.
func (b *Bot) sendPhoto(w http.ResponseWriter, _ *http.Request, req request) {
	chat, ok := b.chat(w, req)
	if !ok {
		return
	}
	var data []byte
	param := req.params["photo"]
	upload, uploaded := req.files["photo"]
	if name, ok := strings.CutPrefix(param, "attach://"); ok {
		upload, uploaded = req.files[name]
	}
	switch {
	case uploaded:
		if len(upload.Data) == 0 {
			badRequest(w, "file must be non-empty")
			return
		}
		if len(upload.Data) > maxPhotoUpload {
			badRequest(w, "file is too big")
			return
		}
		if !strings.HasPrefix(http.DetectContentType(upload.Data), "image/") {
			badRequest(w, "IMAGE_PROCESS_FAILED")
			return
		}
		data = upload.Data
	case param != "":
		b.mu.Lock()
		f, known := b.files[param]
		b.mu.Unlock()
		if !known {
			badRequest(w, "wrong file identifier/HTTP URL specified")
			return
		}
		data = f.data
	default:
		badRequest(w, "there is no photo in the request")
		return
	}
	caption := req.params["caption"]
	if len(utf16.Encode([]rune(caption))) > maxCaption {
		badRequest(w, "message caption is too long")
		return
	}
	switch strings.ToLower(req.params["parse_mode"]) {
	case "", "html", "markdown", "markdownv2":
	default:
		badRequest(w, "unsupported parse_mode")
		return
	}
	var entities []gotgbot.MessageEntity
	if raw := req.params["caption_entities"]; raw != "" {
		if err := json.Unmarshal([]byte(raw), &entities); err != nil {
			badRequest(w, "can't parse entities JSON object")
			return
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var sizes []PhotoSize
	for _, s := range photoSizes {
		part := data
		if len(data) >= s.share {
			part = data[:len(data)/s.share]
		}
		f := b.addFile("photo", part, "")
		sizes = append(sizes, PhotoSize{FileID: f.id, FileUniqueID: f.uniqueID, Width: s.width, Height: s.height, FileSize: int64(len(f.data))})
	}
	from := b.user
	m := Message{
		MessageID: b.nextMessageID(chat.ID), From: &from, Date: time.Now().Unix(), Chat: chat,
		Photo: sizes, Caption: caption, CaptionEntities: entities,
	}
	if chat.Type == "channel" {
		m.From, m.SenderChat = nil, &chat
	}
	b.storeMessage(m)
	writeResult(w, m)
}

// PhotoBytes returns the bytes of the largest size of a photo message the
// bot sent or received (nil when m has no photo the fake knows).
func (b *Bot) PhotoBytes(m Message) []byte {
	if len(m.Photo) == 0 {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if f, ok := b.files[m.Photo[len(m.Photo)-1].FileID]; ok {
		return append([]byte(nil), f.data...)
	}
	return nil
}
