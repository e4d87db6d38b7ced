package telegramtest

import (
	"github.com/PaulSonOfLars/gotgbot/v2"
)

// Media describes a media message to enqueue.
type Media struct {
	// Data is the file, served by getFile and downloads.
	Data []byte
	// FileName and MimeType are reported as Telegram does for the kind:
	// documents, videos, audio and animations carry them, voice notes only
	// a MIME type (default "audio/ogg"), video notes and stickers neither.
	FileName, MimeType string
	Caption            string
	CaptionEntities    []gotgbot.MessageEntity
	// MediaGroupID makes the message part of an album.
	MediaGroupID string
	// Chat is where the message is sent; nil is the private chat.
	Chat *Chat
	// Emoji is a sticker's emoji (default "👍").
	Emoji string
	// ReplyTo is the message this one replies to (in its chat), if any.
	ReplyTo *Message
}

// SizeOrder is the order of a photo's sizes in Message.Photo.
type SizeOrder int

const (
	// SizesAscending lists sizes from the smallest to the largest, which
	// is what Telegram usually sends.
	SizesAscending SizeOrder = iota
	// SizesLargestFirst lists the largest size first.
	SizesLargestFirst
	// SizesLargestInMiddle puts the largest size neither first nor last,
	// so that a client must compare sizes to find it.
	SizesLargestInMiddle
)

// photoSizes are the sizes the fake makes of a photo: two thumbnails and
// the photo itself. A thumbnail's bytes are a prefix of the photo's, of
// about its share of the pixels, so that a client that downloads the wrong
// size gets different bytes; use photos of 16 bytes or more.
var photoSizes = []struct{ width, height, share int }{{90, 67, 16}, {320, 240, 4}, {1280, 960, 1}}

// SendPhoto enqueues a photo from a user, with a caption and its entities,
// as part of an album when mediaGroupID is not empty. data is the largest
// size; the message also lists two smaller ones, smallest first.
func (b *Bot) SendPhoto(from User, caption string, entities []gotgbot.MessageEntity, data []byte, mediaGroupID string) Update {
	return b.SendPhotoMedia(from, Media{Data: data, Caption: caption, CaptionEntities: entities, MediaGroupID: mediaGroupID}, SizesAscending)
}

// SendPhotoMedia enqueues a photo with its sizes in the given order.
func (b *Bot) SendPhotoMedia(from User, m Media, order SizeOrder) Update {
	b.mu.Lock()
	var sizes []PhotoSize
	for _, s := range photoSizes {
		f := b.addFile("photo", m.Data[:len(m.Data)/s.share], "")
		sizes = append(sizes, PhotoSize{FileID: f.id, FileUniqueID: f.uniqueID, Width: s.width, Height: s.height, FileSize: int64(len(f.data))})
	}
	b.mu.Unlock()
	switch order {
	case SizesLargestFirst:
		sizes = []PhotoSize{sizes[2], sizes[0], sizes[1]}
	case SizesLargestInMiddle:
		sizes = []PhotoSize{sizes[1], sizes[2], sizes[0]}
	}
	msg := mediaMessage(from, m)
	msg.Photo = sizes
	return b.Enqueue(Update{Message: msg})
}

// SendDocument enqueues a file sent as a document.
func (b *Bot) SendDocument(from User, m Media) Update {
	f := b.storeMedia("document", m)
	msg := mediaMessage(from, m)
	msg.Document = &Document{FileID: f.id, FileUniqueID: f.uniqueID, FileName: m.FileName,
		MimeType: orDefault(m.MimeType, "application/octet-stream"), FileSize: int64(len(f.data))}
	return b.Enqueue(Update{Message: msg})
}

// SendVideo enqueues a video.
func (b *Bot) SendVideo(from User, m Media) Update {
	f := b.storeMedia("video", m)
	msg := mediaMessage(from, m)
	msg.Video = &Video{FileID: f.id, FileUniqueID: f.uniqueID, Width: 640, Height: 360, Duration: 10,
		FileName: m.FileName, MimeType: orDefault(m.MimeType, "video/mp4"), FileSize: int64(len(f.data))}
	return b.Enqueue(Update{Message: msg})
}

// SendAudio enqueues a music file.
func (b *Bot) SendAudio(from User, m Media) Update {
	f := b.storeMedia("audio", m)
	msg := mediaMessage(from, m)
	msg.Audio = &Audio{FileID: f.id, FileUniqueID: f.uniqueID, Duration: 180,
		FileName: m.FileName, MimeType: orDefault(m.MimeType, "audio/mpeg"), FileSize: int64(len(f.data))}
	return b.Enqueue(Update{Message: msg})
}

// SendVoice enqueues a voice note, which has no file name.
func (b *Bot) SendVoice(from User, m Media) Update {
	f := b.storeMedia("voice", m)
	msg := mediaMessage(from, m)
	msg.Voice = &Voice{FileID: f.id, FileUniqueID: f.uniqueID, Duration: 3,
		MimeType: orDefault(m.MimeType, "audio/ogg"), FileSize: int64(len(f.data))}
	return b.Enqueue(Update{Message: msg})
}

// SendVideoNote enqueues a round video, which has neither file name nor
// MIME type, nor a caption.
func (b *Bot) SendVideoNote(from User, m Media) Update {
	f := b.storeMedia("video_note", m)
	m.Caption, m.CaptionEntities = "", nil
	msg := mediaMessage(from, m)
	msg.VideoNote = &VideoNote{FileID: f.id, FileUniqueID: f.uniqueID, Length: 240, Duration: 5, FileSize: int64(len(f.data))}
	return b.Enqueue(Update{Message: msg})
}

// SendAnimation enqueues a GIF (an MPEG-4 video without sound). Like
// Telegram, it sets the message's document field too, to the same file:
// a client must not store it twice.
func (b *Bot) SendAnimation(from User, m Media) Update {
	f := b.storeMedia("animation", m)
	msg := mediaMessage(from, m)
	name, mime := orDefault(m.FileName, "animation.gif.mp4"), orDefault(m.MimeType, "video/mp4")
	msg.Animation = &Animation{FileID: f.id, FileUniqueID: f.uniqueID, Width: 320, Height: 240, Duration: 2,
		FileName: name, MimeType: mime, FileSize: int64(len(f.data))}
	msg.Document = &Document{FileID: f.id, FileUniqueID: f.uniqueID, FileName: name, MimeType: mime, FileSize: int64(len(f.data))}
	return b.Enqueue(Update{Message: msg})
}

// SendSticker enqueues a (static WebP) sticker, which has no caption.
func (b *Bot) SendSticker(from User, m Media) Update {
	f := b.storeMedia("sticker", m)
	m.Caption, m.CaptionEntities = "", nil
	msg := mediaMessage(from, m)
	msg.Sticker = &Sticker{FileID: f.id, FileUniqueID: f.uniqueID, Type: "regular", Width: 512, Height: 512,
		Emoji: orDefault(m.Emoji, "👍"), FileSize: int64(len(f.data))}
	return b.Enqueue(Update{Message: msg})
}

func (b *Bot) storeMedia(kind string, m Media) *storedFile {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.addFile(kind, m.Data, m.FileName)
}

func mediaMessage(from User, m Media) *Message {
	msg := &Message{From: &from, Caption: m.Caption, CaptionEntities: m.CaptionEntities, MediaGroupID: m.MediaGroupID}
	if m.Chat != nil {
		msg.Chat = *m.Chat
	}
	if m.ReplyTo != nil {
		msg.ReplyToMessage = m.ReplyTo
		msg.Chat = m.ReplyTo.Chat
	}
	return msg
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
