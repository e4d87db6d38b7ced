package app_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/memoria-app/memoria/bot/telegramtest"
	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
)

// TestTelegramChatEdits: an edited text or caption replaces its memo's
// content, unless the memo was changed outside Telegram since.
func TestTelegramChatEdits(t *testing.T) {
	cs := startChat(t, "8200000005:edits", "")
	u := cs.bot.SendText(cs.from, "typo hree #notes")
	m := cs.s.waitMemos(cs.user, 1)[0]
	cs.bot.EditText(u, "typo here #notes")
	cs.eventuallyMemo(m.Name, "edit applied", func(m *v1.Memo, err error) bool { return err == nil && m.Content == "typo here #notes" })

	t.Run("album caption", func(t *testing.T) {
		first := cs.bot.SendPhoto(cs.from, "beach", nil, pngBytes(1), "edit-album")
		cs.bot.SendPhoto(cs.from, "", nil, pngBytes(2), "edit-album")
		album := cs.s.waitMemos(cs.user, 2)[0]
		cs.bot.EditCaption(first, "beach at dawn")
		cs.eventuallyMemo(album.Name, "caption edit applied", func(m *v1.Memo, err error) bool {
			return err == nil && m.Content == "beach at dawn" && len(m.Resources) == 2
		})
	})
	t.Run("changed outside Telegram", func(t *testing.T) {
		_, err := cs.s.as(cs.user).Memos.UpdateMemo(ctxT(t), connect.NewRequest(&v1.UpdateMemoRequest{
			Memo: &v1.Memo{Name: m.Name, Content: "rewritten on the web"}, UpdateMask: mask("content")}))
		if err != nil {
			t.Fatal(err)
		}
		e := cs.bot.EditText(u, "late edit")
		cs.reply(cs.from.ID, e.EditedMessage.MessageID, "changed outside Telegram", m.Name)
		if got, _ := cs.memo(cs.user, m.Name); got.Content != "rewritten on the web" {
			t.Fatalf("content = %q", got.Content)
		}
	})
	t.Run("edits of messages that made no memo are ignored", func(t *testing.T) {
		before := len(cs.sentTo(cs.from.ID))
		cs.bot.EnqueueRaw(json.RawMessage(`{"edited_message":{"message_id":987654,"date":1,"edit_date":2,"chat":{"id":555001,"type":"private"},"from":{"id":555001,"is_bot":false,"first_name":"Ann"},"text":"never seen"}}`))
		cmd := cs.bot.SendText(cs.from, "/recent")
		cs.bot.EditText(cmd, "/recent 2")
		cs.marker(cs.from)
		if got := cs.sentTo(cs.from.ID)[before:]; len(got) != 2 { // /recent and the marker
			t.Fatalf("replies: %q", got)
		}
		cs.s.waitMemos(cs.user, 2)
	})
}

// TestTelegramChatReplyAppend: replying to a saved message or to its
// confirmation adds to that memo.
func TestTelegramChatReplyAppend(t *testing.T) {
	cs := startChat(t, "8200000006:replies", "")
	orig := cs.bot.SendText(cs.from, "shopping list")
	m := cs.s.waitMemos(cs.user, 1)[0]
	conf := cs.confirmed(orig, m.Name)

	r1 := cs.bot.Reply(cs.from, orig.Message, "milk #groceries")
	cs.reply(cs.from.ID, r1.Message.MessageID, "Added to", m.Name)
	got, _ := cs.memo(cs.user, m.Name)
	if got.Content != "shopping list\n\nmilk #groceries" || len(got.Tags) != 1 || got.Tags[0] != "groceries" {
		t.Fatalf("memo = %q, tags %v", got.Content, got.Tags)
	}

	t.Run("a photo replying to the confirmation", func(t *testing.T) {
		img := pngBytes(3)
		u := cs.bot.SendPhotoMedia(cs.from, telegramtest.Media{Data: img, Caption: "the receipt",
			ReplyTo: cs.bot.Message(conf.Chat.ID, conf.MessageID)}, telegramtest.SizesAscending)
		cs.reply(cs.from.ID, u.Message.MessageID, "Added to", m.Name)
		got, _ := cs.memo(cs.user, m.Name)
		if got.Content != "shopping list\n\nmilk #groceries\n\nthe receipt" || len(got.Resources) != 1 {
			t.Fatalf("memo = %q with %d files", got.Content, len(got.Resources))
		}
		cs.s.waitMemos(cs.user, 1)
	})
	t.Run("a reply to a message never seen makes a new memo", func(t *testing.T) {
		n := len(cs.s.waitMemos(cs.user, 1))
		ghost := &telegramtest.Message{MessageID: 4242, From: &cs.from, Chat: telegramtest.PrivateChat(cs.from), Date: time.Now().Unix(), Text: "ghost"}
		cs.bot.Reply(cs.from, ghost, "a fresh thought")
		cs.s.waitMemos(cs.user, n+1)
	})
	t.Run("a reply to a merged confirmation makes a new memo and says why", func(t *testing.T) {
		resp, err := cs.s.as(cs.user).Memos.ListMemos(ctxT(t), connect.NewRequest(&v1.ListMemosRequest{PageSize: 1000}))
		if err != nil {
			t.Fatal(err)
		}
		n := len(resp.Msg.Memos)
		// Three messages at once: their confirmations merge (the sender
		// sends about one message a second per chat), the merged one
		// replying to the last message.
		cs.bot.SendText(cs.from, "first of three")
		cs.bot.SendText(cs.from, "second of three")
		last := cs.bot.SendText(cs.from, "third of three")
		cs.s.waitMemos(cs.user, n+3)
		list := cs.reply(cs.from.ID, last.Message.MessageID, "messages to Memoria")
		u := cs.bot.Reply(cs.from, cs.bot.Message(list.Chat.ID, list.MessageID), "which one?")
		conf := cs.reply(cs.from.ID, u.Message.MessageID, "Saved to Memoria", "lists several memos")
		memos := cs.s.waitMemos(cs.user, n+4)
		if memos[0].Content != "which one?" || !strings.Contains(conf.Text, memos[0].Name) {
			t.Fatalf("newest memo %q (%s), confirmation %q", memos[0].Content, memos[0].Name, conf.Text)
		}
		for _, m := range memos[1:] {
			if strings.Contains(m.Content, "which one?") {
				t.Fatalf("the reply was added to %s: %q", m.Name, m.Content)
			}
		}
	})
}
