package telegramtest

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

// pngHeader is enough of a PNG for content sniffing.
var pngHeader = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 64)...)

func TestSendPhotoToAChannel(t *testing.T) {
	srv, tg := newTestServer(t)
	b := gotBot(t, srv.URL(), testToken)
	tg.AddChat(Chat{ID: -1001234567890, Type: "channel", Title: "News", Username: "news"})
	for name, chat := range map[string]int64{"by id": -1001234567890} {
		t.Run(name, func(t *testing.T) {
			m, err := b.SendPhoto(chat, gotgbot.InputFileByReader("p.png", bytes.NewReader(pngHeader)), &gotgbot.SendPhotoOpts{Caption: "hello"})
			if err != nil {
				t.Fatal(err)
			}
			if m.Caption != "hello" || len(m.Photo) != 3 || m.SenderChat == nil || m.SenderChat.Id != chat {
				t.Fatalf("message = %+v", m)
			}
		})
	}
	calls := tg.SentMethod("sendPhoto")
	if len(calls) != 1 || !bytes.Equal(calls[0].Files["photo"].Data, pngHeader) {
		t.Fatalf("recorded calls = %+v", calls)
	}
	stored := tg.Message(-1001234567890, 1)
	if stored == nil || !bytes.Equal(tg.PhotoBytes(*stored), pngHeader) {
		t.Fatalf("stored message %+v does not carry the photo", stored)
	}
	// A channel by @username (gotgbot's typed methods take numeric ids
	// only), re-sending the photo by file_id.
	raw, err := b.RequestWithContext(testContext(t), "sendPhoto", map[string]any{"chat_id": "@news", "photo": stored.Photo[2].FileID}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var m gotgbot.Message
	if err := json.Unmarshal(raw, &m); err != nil || m.Chat.Id != -1001234567890 || len(m.Photo) != 3 {
		t.Fatalf("by @username: %+v, %v", m, err)
	}
}

func TestSendPhotoErrors(t *testing.T) {
	srv, tg := newTestServer(t)
	b := gotBot(t, srv.URL(), testToken)
	tg.SendText(ann, "hi")
	big := append(append([]byte(nil), pngHeader...), make([]byte, maxPhotoUpload)...)
	tests := map[string]struct {
		chatID int64
		photo  gotgbot.InputFileOrString
		opts   *gotgbot.SendPhotoOpts
		want   string
	}{
		"unknown chat":    {chatID: 999, photo: gotgbot.InputFileByReader("p.png", bytes.NewReader(pngHeader)), want: "Bad Request: chat not found"},
		"empty file":      {chatID: ann.ID, photo: gotgbot.InputFileByReader("p.png", bytes.NewReader(nil)), want: "Bad Request: file must be non-empty"},
		"not an image":    {chatID: ann.ID, photo: gotgbot.InputFileByReader("p.txt", bytes.NewReader([]byte("plain words"))), want: "Bad Request: IMAGE_PROCESS_FAILED"},
		"too big":         {chatID: ann.ID, photo: gotgbot.InputFileByReader("p.png", bytes.NewReader(big)), want: "Bad Request: file is too big"},
		"unknown file id": {chatID: ann.ID, photo: gotgbot.InputFileByID("nope"), want: "Bad Request: wrong file identifier/HTTP URL specified"},
		"long caption":    {chatID: ann.ID, photo: gotgbot.InputFileByReader("p.png", bytes.NewReader(pngHeader)), opts: &gotgbot.SendPhotoOpts{Caption: string(bytes.Repeat([]byte("a"), 1025))}, want: "Bad Request: message caption is too long"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := b.SendPhoto(tt.chatID, tt.photo, tt.opts)
			if tgErr := telegramError(t, err); tgErr.Code != 400 || tgErr.Description != tt.want {
				t.Errorf("= %d %q, want 400 %q", tgErr.Code, tgErr.Description, tt.want)
			}
		})
	}
}
