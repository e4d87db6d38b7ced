package app_test

import (
	"strings"
	"testing"

	"connectrpc.com/connect"

	"github.com/memoria-app/memoria/bot/telegramtest"
	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
)

// TestTelegramChatButtons: the REPLY confirmation carries the memo's link
// and buttons; each press acts through the rules as the owner, is
// answered, and the confirmation shows the new state.
func TestTelegramChatButtons(t *testing.T) {
	cs := startChat(t, "8200000001:buttons", "https://memo.example.com")
	u := cs.bot.SendText(cs.from, "button memo")
	m := cs.s.waitMemos(cs.user, 1)[0]
	conf := cs.confirmed(u, "https://memo.example.com/"+m.Name, "Saved")
	if b, ok := conf.ReplyMarkup.Button("Private"); !ok || !strings.HasPrefix(b.Text, "✓") {
		t.Fatalf("keyboard = %+v, want Private marked", conf.ReplyMarkup)
	}
	for _, label := range []string{"Protected", "Public", "Pin", "Delete"} {
		if _, ok := conf.ReplyMarkup.Button(label); !ok {
			t.Fatalf("no %s button in %+v", label, conf.ReplyMarkup)
		}
	}
	chat := conf.Chat.ID
	press := func(from telegramtest.User, label string) string {
		t.Helper()
		return cs.answer(cs.bot.Press(from, cs.bot.Message(chat, conf.MessageID), label))
	}
	current := func() *telegramtest.Message { return cs.bot.Message(chat, conf.MessageID) }

	steps := []struct {
		label, answer string
		check         func(m *v1.Memo) bool
		marked        string // the button the confirmation marks afterwards
	}{
		{"Public", "Now Public.", func(m *v1.Memo) bool { return m.Visibility == v1.Visibility_VISIBILITY_PUBLIC }, "✓ Public"},
		{"Protected", "Now Protected.", func(m *v1.Memo) bool { return m.Visibility == v1.Visibility_VISIBILITY_PROTECTED }, "✓ Protected"},
		{"Pin", "Pinned.", func(m *v1.Memo) bool { return m.Pinned }, "Unpin"},
		{"Unpin", "Unpinned.", func(m *v1.Memo) bool { return !m.Pinned }, "Pin"},
	}
	for _, st := range steps {
		t.Run(st.label, func(t *testing.T) {
			if got := press(cs.from, st.label); got != st.answer {
				t.Fatalf("answer = %q, want %q", got, st.answer)
			}
			cs.eventuallyMemo(m.Name, st.label+" applied", func(m *v1.Memo, err error) bool { return err == nil && st.check(m) })
			eventually(t, 5e9, "confirmation edited", func() bool {
				b, ok := current().ReplyMarkup.Button(st.marked)
				return ok && strings.HasPrefix(b.Text, st.marked)
			})
		})
	}

	t.Run("a press by someone else changes nothing", func(t *testing.T) {
		_, bob := cs.s.createUser(cs.admin, "bob")
		bobTG := telegramtest.User{ID: 555002, FirstName: "Bob"}
		cs.s.linkTelegram(bob, bobTG.ID)
		if got := press(bobTG, "Delete"); !strings.Contains(got, "owner") {
			t.Fatalf("answer to another user = %q", got)
		}
		stranger := telegramtest.User{ID: 555003, FirstName: "Eve"}
		if got := press(stranger, "Public"); !strings.Contains(got, "not linked") {
			t.Fatalf("answer to a stranger = %q", got)
		}
		if mm, err := cs.memo(cs.user, m.Name); err != nil || mm.Visibility != v1.Visibility_VISIBILITY_PROTECTED {
			t.Fatalf("memo after others' presses = %v, %v", mm, err)
		}
	})
	t.Run("unknown and replayed data", func(t *testing.T) {
		for _, data := range []string{"garbage", "1:del:999999", strings.Repeat("z", 64), ""} {
			got := cs.answer(cs.bot.SendCallbackQuery(cs.from, data, current()))
			if data == "1:del:999999" {
				if !strings.Contains(got, "no longer exists") {
					t.Errorf("%q: answer %q", data, got)
				}
				continue
			}
			if !strings.Contains(got, "not (or no longer) valid") {
				t.Errorf("%q: answer %q", data, got)
			}
		}
		b, _ := current().ReplyMarkup.Button("Protected")
		for i := 0; i < 2; i++ { // the same press twice (a redelivery): harmless
			if got := cs.answer(cs.bot.SendCallbackQuery(cs.from, b.CallbackData, current())); got != "Now Protected." {
				t.Errorf("replayed press %d: %q", i, got)
			}
		}
	})
	t.Run("public memos disallowed", func(t *testing.T) {
		_, err := cs.s.as(cs.admin).System.UpdateSystemSetting(ctxT(t), connect.NewRequest(&v1.UpdateSystemSettingRequest{
			Setting: &v1.SystemSetting{DisallowPublicVisibility: true}, UpdateMask: mask("disallow_public_visibility")}))
		if err != nil {
			t.Fatal(err)
		}
		if got := press(cs.from, "Public"); !strings.Contains(got, "public memos are disabled") {
			t.Fatalf("answer = %q", got)
		}
		if mm, _ := cs.memo(cs.user, m.Name); mm.Visibility != v1.Visibility_VISIBILITY_PROTECTED {
			t.Fatalf("visibility = %v", mm.Visibility)
		}
	})
	t.Run("Delete, then Delete again", func(t *testing.T) {
		stale := *current()
		if got := press(cs.from, "Delete"); got != "Deleted." {
			t.Fatalf("answer = %q", got)
		}
		cs.eventuallyMemo(m.Name, "memo deleted", func(_ *v1.Memo, err error) bool { return connect.CodeOf(err) == connect.CodeNotFound })
		eventually(t, 5e9, "confirmation says deleted", func() bool {
			c := current()
			return strings.Contains(c.Text, "Deleted") && c.ReplyMarkup == nil
		})
		// A press on the keyboard as it was before (a stale client, a replay).
		pin, _ := stale.ReplyMarkup.Button("Pin")
		if got := cs.answer(cs.bot.SendCallbackQuery(cs.from, pin.CallbackData, &stale)); !strings.Contains(got, "no longer exists") {
			t.Fatalf("press on a deleted memo: %q", got)
		}
	})
}

// TestTelegramChatConfirmationStyles: REACTION reacts 👍 without a
// message, SILENT says nothing, and problems are reported in every style.
func TestTelegramChatConfirmationStyles(t *testing.T) {
	cs := startChat(t, "8200000002:styles", "")
	t.Run("reply without instance URL links the memo name", func(t *testing.T) {
		u := cs.bot.SendText(cs.from, "default style")
		m := cs.s.waitMemos(cs.user, 1)[0]
		cs.confirmed(u, m.Name)
	})
	t.Run("reaction", func(t *testing.T) {
		cs.settings(cs.user, &v1.UserSetting{TelegramConfirmation: v1.TelegramConfirmation_TELEGRAM_CONFIRMATION_REACTION}, "telegram_confirmation")
		before := len(cs.sentTo(cs.from.ID))
		u := cs.bot.SendText(cs.from, "react to me")
		cs.s.waitMemos(cs.user, 2)
		cs.marker(cs.from)
		var reacted bool
		for _, c := range cs.bot.SentMethod("setMessageReaction") {
			reacted = reacted || c.Param("message_id") == itoa(u.Message.MessageID) && strings.Contains(c.Param("reaction"), "👍")
		}
		if !reacted {
			t.Fatal("no 👍 reaction on the saved message")
		}
		if got := cs.sentTo(cs.from.ID)[before:]; len(got) != 1 { // the /help answer only
			t.Fatalf("messages sent with REACTION: %q", got)
		}
	})
	t.Run("silent, but problems are reported", func(t *testing.T) {
		cs.settings(cs.user, &v1.UserSetting{TelegramConfirmation: v1.TelegramConfirmation_TELEGRAM_CONFIRMATION_SILENT}, "telegram_confirmation")
		before := len(cs.sentTo(cs.from.ID))
		reactions := len(cs.bot.SentMethod("setMessageReaction"))
		cs.bot.SendText(cs.from, "quietly")
		cs.s.waitMemos(cs.user, 3)
		cs.marker(cs.from)
		if got := cs.sentTo(cs.from.ID)[before:]; len(got) != 1 || len(cs.bot.SentMethod("setMessageReaction")) != reactions {
			t.Fatalf("SILENT sent %q and %d reactions", got, len(cs.bot.SentMethod("setMessageReaction"))-reactions)
		}
		big := make([]byte, telegramtest.MaxDownloadSize+1)
		cs.bot.SendDocument(cs.from, telegramtest.Media{Data: big, FileName: "huge.bin", Caption: "with a huge file"})
		waitReply(t, cs.bot, cs.from.ID, "huge.bin", "not these files")
	})
}
