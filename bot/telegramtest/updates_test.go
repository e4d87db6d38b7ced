package telegramtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

// received enqueues updates with send, then fetches them with gotgbot, so
// that the tests check what a client decodes from the wire.
func received(t *testing.T, send func(tg *Bot)) (*gotgbot.Bot, *Bot, []gotgbot.Update) {
	t.Helper()
	srv, tg := newTestServer(t)
	b := gotBot(t, srv.URL(), testToken)
	send(tg)
	updates, err := poll(testContext(t), b, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return b, tg, updates
}

// download fetches a file by file_id through getFile and the file URL.
func download(t *testing.T, b *gotgbot.Bot, fileID string) []byte {
	t.Helper()
	f, err := b.GetFile(fileID, nil)
	if err != nil {
		t.Fatalf("getFile(%s): %v", fileID, err)
	}
	resp, err := http.Get(f.URL(b, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("download %s: %d %v", f.FilePath, resp.StatusCode, err)
	}
	if int64(len(data)) != f.FileSize {
		t.Errorf("getFile says %d bytes, download has %d", f.FileSize, len(data))
	}
	return data
}

func TestSendTextWithEntities(t *testing.T) {
	entities := []gotgbot.MessageEntity{{Type: "bold", Offset: 0, Length: 5}, {Type: "text_link", Offset: 6, Length: 5, Url: "https://x.test"}}
	_, _, updates := received(t, func(tg *Bot) { tg.SendText(ann, "hello world", entities...) })
	m := updates[0].Message
	if m == nil || m.Text != "hello world" || len(m.Entities) != 2 || m.Entities[1].Url != "https://x.test" {
		t.Fatalf("message = %+v", m)
	}
	if m.From.Id != ann.ID || m.Chat.Id != ann.ID || m.Chat.Type != "private" || m.Date == 0 || m.MessageId == 0 {
		t.Errorf("sender, chat or date wrong: %+v", m)
	}
}

func TestGroupMessage(t *testing.T) {
	group := GroupChat(777, "Family")
	_, _, updates := received(t, func(tg *Bot) {
		tg.SetPrivacyMode(false)
		tg.SendTextIn(group, ann, "in the group")
	})
	m := updates[0].Message
	if m.Chat.Id != -777 || m.Chat.Type != "group" || m.Chat.Title != "Family" || m.From.Id != ann.ID {
		t.Errorf("group message = %+v", m)
	}
	if c := SupergroupChat(5, "S"); c.ID != -1000000000005 || c.Type != "supergroup" {
		t.Errorf("supergroup = %+v", c)
	}
}

func TestPhotoSizes(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 64) // 1 KiB
	tests := map[string]struct {
		order       SizeOrder
		largestSlot int
	}{
		"ascending like Telegram": {SizesAscending, 2},
		"largest first":           {SizesLargestFirst, 0},
		"largest in the middle":   {SizesLargestInMiddle, 1},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			b, _, updates := received(t, func(tg *Bot) {
				tg.SendPhotoMedia(ann, Media{Data: data, Caption: "cap", MediaGroupID: "album"}, tt.order)
			})
			m := updates[0].Message
			if len(m.Photo) != 3 || m.Caption != "cap" || m.MediaGroupId != "album" {
				t.Fatalf("photo message = %+v", m)
			}
			largest := m.Photo[tt.largestSlot]
			if largest.Width != 1280 || largest.Height != 960 || largest.FileSize != int64(len(data)) {
				t.Errorf("largest size in slot %d = %+v", tt.largestSlot, largest)
			}
			if got := download(t, b, largest.FileId); !bytes.Equal(got, data) {
				t.Errorf("largest size downloads %d bytes, not the photo", len(got))
			}
			for i, s := range m.Photo {
				if i == tt.largestSlot {
					continue
				}
				if s.Width >= 1280 || s.FileSize >= int64(len(data)) || s.FileUniqueId == largest.FileUniqueId {
					t.Errorf("thumbnail %d = %+v is not smaller", i, s)
				}
				if got := download(t, b, s.FileId); bytes.Equal(got, data) || int64(len(got)) != s.FileSize {
					t.Errorf("thumbnail %d downloads the wrong bytes (%d)", i, len(got))
				}
			}
		})
	}
}

func TestSendPhotoIsAscending(t *testing.T) {
	data := bytes.Repeat([]byte("x"), 100)
	_, _, updates := received(t, func(tg *Bot) { tg.SendPhoto(ann, "c", nil, data, "") })
	p := updates[0].Message.Photo
	if len(p) != 3 || p[0].Width >= p[1].Width || p[1].Width >= p[2].Width {
		t.Errorf("sizes = %+v, want ascending", p)
	}
}

func TestMediaKinds(t *testing.T) {
	data := []byte("some file content")
	b, _, updates := received(t, func(tg *Bot) {
		tg.SendDocument(ann, Media{Data: data, FileName: "report.pdf", MimeType: "application/pdf", Caption: "doc"})
		tg.SendVideo(ann, Media{Data: data, FileName: "clip.mp4"})
		tg.SendAudio(ann, Media{Data: data, FileName: "song.mp3"})
		tg.SendVoice(ann, Media{Data: data})
		tg.SendVideoNote(ann, Media{Data: data, Caption: "ignored"})
		tg.SendAnimation(ann, Media{Data: data})
		tg.SendSticker(ann, Media{Data: data})
	})
	if len(updates) != 7 {
		t.Fatalf("%d updates, want 7", len(updates))
	}
	doc, video, audio, voice, note, anim, sticker := updates[0].Message, updates[1].Message, updates[2].Message,
		updates[3].Message, updates[4].Message, updates[5].Message, updates[6].Message
	if d := doc.Document; d == nil || d.FileName != "report.pdf" || d.MimeType != "application/pdf" || doc.Caption != "doc" {
		t.Errorf("document = %+v", d)
	}
	if v := video.Video; v == nil || v.FileName != "clip.mp4" || v.MimeType != "video/mp4" || v.Width == 0 {
		t.Errorf("video = %+v", v)
	}
	if a := audio.Audio; a == nil || a.FileName != "song.mp3" || a.MimeType != "audio/mpeg" {
		t.Errorf("audio = %+v", a)
	}
	if v := voice.Voice; v == nil || v.MimeType != "audio/ogg" {
		t.Errorf("voice = %+v", v)
	}
	if n := note.VideoNote; n == nil || n.Length == 0 || note.Caption != "" {
		t.Errorf("video note = %+v, caption %q", n, note.Caption)
	}
	if a := anim.Animation; a == nil || anim.Document == nil || anim.Document.FileId != a.FileId || a.MimeType != "video/mp4" {
		t.Errorf("animation = %+v, document = %+v; Telegram sets both to the same file", a, anim.Document)
	}
	if s := sticker.Sticker; s == nil || s.Emoji != "👍" || s.Type != "regular" {
		t.Errorf("sticker = %+v", s)
	}
	for _, id := range []string{doc.Document.FileId, video.Video.FileId, audio.Audio.FileId, voice.Voice.FileId,
		note.VideoNote.FileId, anim.Animation.FileId, sticker.Sticker.FileId} {
		if got := download(t, b, id); !bytes.Equal(got, data) {
			t.Errorf("file %s downloads %q", id, got)
		}
	}
}

func TestForwardEditAndCallback(t *testing.T) {
	bob := User{ID: 7, FirstName: "Bob"}
	channel := Chat{ID: -100500, Type: "channel", Title: "News", Username: "news"}
	_, _, updates := received(t, func(tg *Bot) {
		tg.Forward(ann, OriginUser(bob, 1700000000), "fwd from bob")
		tg.Forward(ann, OriginHiddenUser("Secret", 1700000000), "fwd hidden")
		orig := tg.Forward(ann, OriginChannel(channel, 99, 1700000000), "fwd channel")
		tg.EditText(orig, "edited")
		tg.SendCallbackQuery(ann, "btn:1", orig.Message)
	})
	if len(updates) != 5 {
		t.Fatalf("%d updates", len(updates))
	}
	if o, ok := updates[0].Message.ForwardOrigin.(gotgbot.MessageOriginUser); !ok || o.SenderUser.Id != bob.ID {
		t.Errorf("user origin = %#v", updates[0].Message.ForwardOrigin)
	}
	if o, ok := updates[1].Message.ForwardOrigin.(gotgbot.MessageOriginHiddenUser); !ok || o.SenderUserName != "Secret" {
		t.Errorf("hidden origin = %#v", updates[1].Message.ForwardOrigin)
	}
	if o, ok := updates[2].Message.ForwardOrigin.(gotgbot.MessageOriginChannel); !ok || o.Chat.Id != channel.ID || o.MessageId != 99 {
		t.Errorf("channel origin = %#v", updates[2].Message.ForwardOrigin)
	}
	e := updates[3].EditedMessage
	if e == nil || e.Text != "edited" || e.MessageId != updates[2].Message.MessageId || e.EditDate == 0 {
		t.Errorf("edited message = %+v", e)
	}
	q := updates[4].CallbackQuery
	if q == nil || q.Data != "btn:1" || q.Id == "" || q.From.Id != ann.ID || q.ChatInstance == "" {
		t.Errorf("callback query = %+v", q)
	}
}

func TestEnqueueRaw(t *testing.T) {
	var raw Update
	_, tg, updates := received(t, func(tg *Bot) {
		tg.SendText(ann, "before")
		var err error
		raw, err = tg.EnqueueRaw(json.RawMessage(`{"update_id": 1, "some_future_kind": {"x": 1}}`))
		if err != nil {
			t.Fatal(err)
		}
		tg.SendText(ann, "after")
	})
	if len(updates) != 3 {
		t.Fatalf("%d updates", len(updates))
	}
	if updates[1].UpdateId != updates[0].UpdateId+1 || updates[2].UpdateId != updates[1].UpdateId+1 {
		t.Errorf("ids %d %d %d are not consecutive: a raw update's id is the fake's", updates[0].UpdateId, updates[1].UpdateId, updates[2].UpdateId)
	}
	if raw.UpdateID != updates[1].UpdateId || updates[1].Message != nil {
		t.Errorf("raw update = %+v", updates[1])
	}
	if _, err := tg.EnqueueRaw(json.RawMessage(`[1]`)); err == nil {
		t.Error("a non-object raw update was accepted")
	}
}

func TestUpdateIDsAreMonotonicPerBot(t *testing.T) {
	srv, tg := newTestServer(t)
	other := srv.AddBot("777:other", "other_bot")
	a1, b1, a2 := tg.SendText(ann, "1"), other.SendText(ann, "x"), tg.SendText(ann, "2")
	if a2.UpdateID != a1.UpdateID+1 || b1.UpdateID < firstUpdateID {
		t.Errorf("ids %d, %d (other bot %d)", a1.UpdateID, a2.UpdateID, b1.UpdateID)
	}
}
