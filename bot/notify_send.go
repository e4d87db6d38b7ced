package bot

import (
	"context"
	"io"
	"strconv"

	"github.com/PaulSonOfLars/gotgbot/v2"

	"github.com/memoria-app/memoria/store"
)

// outNotice is a notification in the sender's queue: a message to a chat
// that may be named (@channel), with an optional photo.
type outNotice struct {
	// chat is the chat_id as configured: digits (a user, a group's or a
	// channel's negative id) or @channelname.
	chat string
	// photo, when set, is sent with sendPhoto, text as its caption; open
	// reads its bytes (again for each attempt).
	photo *store.Resource
	open  func(store.Resource) (io.ReadCloser, error)
}

// chatParam is the chat_id value: a number when it is one (Telegram
// accepts both, but the numeric form is the canonical one).
func (n *outNotice) chatParam() any {
	if id, err := strconv.ParseInt(n.chat, 10, 64); err == nil {
		return id
	}
	return n.chat
}

// deliverNotice sends a notification. gotgbot's typed methods take
// numeric chat ids only, so the calls are made by name: sendMessage
// (https://core.telegram.org/bots/api#sendmessage) or sendPhoto
// (https://core.telegram.org/bots/api#sendphoto, the file streamed as a
// multipart upload). A photo Telegram refuses (400: not an image it can
// process, too big) falls back to the text alone.
func (s *sender) deliverNotice(ctx context.Context, m outMessage) error {
	n := m.notice
	if n.photo != nil {
		err := s.sendNoticePhoto(ctx, m)
		if kind, _ := classify(err); err == nil || kind != failPermanent {
			return err
		}
		s.p.log.Warn("photo not posted; posting the text alone", "chat", n.chat, "err", describe(err))
	}
	_, err := s.p.bot.RequestWithContext(ctx, "sendMessage", map[string]any{
		"chat_id": n.chatParam(), "text": m.text,
		"link_preview_options": gotgbot.LinkPreviewOptions{IsDisabled: true},
	}, nil)
	return err
}

func (s *sender) sendNoticePhoto(ctx context.Context, m outMessage) error {
	n := m.notice
	f, err := n.open(*n.photo)
	if err != nil {
		// The file is gone or unreadable: a 400-like failure, so the text
		// goes alone.
		return &gotgbot.TelegramError{Method: "sendPhoto", Code: 400, Description: "stored file unreadable: " + err.Error()}
	}
	defer f.Close()
	_, err = s.p.bot.RequestWithContext(ctx, "sendPhoto", map[string]any{
		"chat_id": n.chatParam(), "caption": m.text,
		"photo": gotgbot.InputFileByReader(n.photo.Filename, f),
	}, nil)
	return err
}
