package app_test

import (
	"strings"
	"testing"

	"github.com/memoria-app/memoria/bot/telegramtest"
	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
)

// TestTelegramChatTag: with telegramTag set, every memo from Telegram
// carries #tag; messages added to a memo do not repeat it.
func TestTelegramChatTag(t *testing.T) {
	cs := startChat(t, "8200000007:tag", "")
	cs.settings(cs.user, &v1.UserSetting{TelegramTag: "#inbox"}, "telegram_tag")
	tests := []struct {
		name  string
		send  func()
		want  string
		files int
	}{
		{"text", func() { cs.bot.SendText(cs.from, "call the plumber") }, "call the plumber\n\n#inbox", 0},
		{"text that has the tag", func() { cs.bot.SendText(cs.from, "already #inbox") }, "already #inbox", 0},
		{"album with the caption on its second item", func() {
			cs.bot.SendPhoto(cs.from, "", nil, pngBytes(1), "tag-album")
			cs.bot.SendPhoto(cs.from, "holiday", nil, pngBytes(2), "tag-album")
		}, "holiday\n\n#inbox", 2},
		{"photo without caption", func() { cs.bot.SendPhoto(cs.from, "", nil, pngBytes(3), "") }, "#inbox", 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.send()
			memos := cs.s.waitMemos(cs.user, i+1)
			cs.eventuallyMemo(memos[0].Name, "memo complete", func(m *v1.Memo, err error) bool {
				return err == nil && m.Content == tt.want && len(m.Resources) == tt.files
			})
			m, _ := cs.memo(cs.user, memos[0].Name)
			if !strings.Contains(strings.Join(m.Tags, " "), "inbox") {
				t.Fatalf("tags = %v", m.Tags)
			}
		})
	}
	t.Run("invalid tag", func(t *testing.T) {
		_, err := cs.s.as(cs.user).UserSettings.UpdateUserSetting(ctxT(t), connectReq(&v1.UpdateUserSettingRequest{
			Setting: &v1.UserSetting{TelegramTag: "two words"}, UpdateMask: mask("telegram_tag")}))
		wantCode(t, err, codeInvalid, "telegram_tag")
	})
}

// TestTelegramChatGroups: with privacy mode on, a linked member's group
// message is saved only when it mentions the bot, replies to the bot, or
// is /save; nothing else is stored or answered.
func TestTelegramChatGroups(t *testing.T) {
	cs := startChat(t, "8200000008:groups", "")
	group := telegramtest.SupergroupChat(4711, "Team")
	stranger := telegramtest.User{ID: 557001, FirstName: "Stranger"}

	chatter := cs.bot.SendTextIn(group, cs.from, "lunch at noon?")
	if chatter.UpdateID != 0 {
		t.Fatal("privacy mode is off in the fake")
	}
	mention := cs.bot.SendTextIn(group, cs.from, "@"+chatBotName+" remember the offsite date")
	cs.confirmed(mention)
	m := cs.s.waitMemos(cs.user, 1)[0]
	if m.Content != "remember the offsite date" {
		t.Fatalf("mention memo = %q", m.Content)
	}
	save := cs.bot.Reply(cs.from, chatter.Message, "/save")
	cs.confirmed(save)
	if m := cs.s.waitMemos(cs.user, 2)[0]; m.Content != "lunch at noon?" {
		t.Fatalf("/save reply memo = %q", m.Content)
	}
	saveText := cs.bot.SendTextIn(group, cs.from, "/save@"+chatBotName+" buy a whiteboard")
	cs.confirmed(saveText)
	if m := cs.s.waitMemos(cs.user, 3)[0]; m.Content != "buy a whiteboard" {
		t.Fatalf("/save text memo = %q", m.Content)
	}
	botMsg := cs.bot.Message(group.ID, cs.confirmed(saveText).MessageID)
	grow := cs.bot.Reply(cs.from, botMsg, "and markers")
	cs.reply(group.ID, grow.Message.MessageID, "Added to")

	before := len(cs.sentTo(group.ID))
	quiet := []telegramtest.Update{
		cs.bot.SendTextIn(group, cs.from, "/search whiteboard"),
		cs.bot.SendTextIn(group, cs.from, "/recent"),
		cs.bot.SendTextIn(group, stranger, "@"+chatBotName+" hi"),
		cs.bot.SendTextIn(group, stranger, "/save"),
		cs.bot.SendTextIn(group, cs.from, "/help@some_other_bot"),
	}
	last := cs.bot.SendTextIn(group, cs.from, "@"+chatBotName+" last one")
	cs.confirmed(last)
	memos := cs.s.waitMemos(cs.user, 4)
	if memos[0].Content != "last one" || !strings.HasSuffix(memos[1].Content, "and markers") {
		t.Fatalf("memos = %q, %q", memos[0].Content, memos[1].Content)
	}
	if got := cs.sentTo(group.ID)[before:]; len(got) != 1 {
		t.Fatalf("the bot answered in the group: %q (after %d quiet updates)", got, len(quiet))
	}
}
