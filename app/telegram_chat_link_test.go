package app_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/memoria-app/memoria/bot/telegramtest"
	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
)

func (cs *chatStory) createLink(token string) (*v1.CreateTelegramLinkResponse, error) {
	resp, err := cs.s.as(token).UserSettings.CreateTelegramLink(ctxT(cs.t), connect.NewRequest(&v1.CreateTelegramLinkRequest{}))
	if err != nil {
		return nil, err
	}
	return resp.Msg, nil
}

func (cs *chatStory) telegramID(token string) int64 {
	cs.t.Helper()
	resp, err := cs.s.as(token).UserSettings.GetUserSetting(ctxT(cs.t), connect.NewRequest(&v1.GetUserSettingRequest{}))
	if err != nil {
		cs.t.Fatal(err)
	}
	return resp.Msg.TelegramUserId
}

// TestTelegramChatLinking: deep links link once, refusals say why and
// change nothing, a pasted id gets a notice, /unlink unlinks.
func TestTelegramChatLinking(t *testing.T) {
	t.Run("no link while the bot is not running", func(t *testing.T) {
		s := startServer(t)
		_, admin := s.signUp("admin")
		_, err := s.as(admin).UserSettings.CreateTelegramLink(ctxT(t), connect.NewRequest(&v1.CreateTelegramLinkRequest{}))
		wantCode(t, err, connect.CodeFailedPrecondition, "not running")
	})
	cs := startChat(t, "8200000003:linking", "")
	_, carol := cs.s.createUser(cs.admin, "carol")
	carolTG := telegramtest.User{ID: 556001, FirstName: "Carol"}

	link, err := cs.createLink(carol)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(link.Url)
	if err != nil || u.Scheme != "https" || u.Host != "t.me" || u.Path != "/"+chatBotName || u.Query().Get("start") != link.Code || len(link.Code) < 16 {
		t.Fatalf("link = %+v", link)
	}
	if n := len(link.QrRows); n < 21 || len(link.QrRows[0]) != n || strings.Trim(strings.Join(link.QrRows, ""), "01") != "" {
		t.Fatalf("QR rows = %d (first %q)", n, link.QrRows[0])
	}
	if exp := link.ExpireTime.AsTime(); exp.Before(time.Now().Add(9*time.Minute)) || exp.After(time.Now().Add(11*time.Minute)) {
		t.Fatalf("expires %v, want in 10 minutes", exp)
	}
	start := cs.bot.SendText(carolTG, "/start "+link.Code)
	cs.reply(carolTG.ID, start.Message.MessageID, "linked", "carol")
	if got := cs.telegramID(carol); got != carolTG.ID {
		t.Fatalf("telegram id = %d", got)
	}
	cs.bot.SendText(carolTG, "carol's first memo")
	if m := cs.s.waitMemos(carol, 1)[0]; m.Content != "carol's first memo" {
		t.Fatalf("memo = %q", m.Content)
	}

	t.Run("refusals", func(t *testing.T) {
		_, dave := cs.s.createUser(cs.admin, "dave")
		daveLink, err := cs.createLink(dave)
		if err != nil {
			t.Fatal(err)
		}
		stranger := telegramtest.User{ID: 556002, FirstName: "Stranger"}
		tests := map[string]struct {
			from telegramtest.User
			text string
			want string
		}{
			"a used code":                     {stranger, "/start " + link.Code, "already used"},
			"an unknown code":                 {stranger, "/start NoSuchCode123", "not known"},
			"garbage after /start":            {stranger, "/start " + strings.Repeat("💥<>'\"", 3000), "not known"},
			"a sender linked to someone else": {cs.from, "/start " + daveLink.Code, "another Memoria user"},
			"/start alone, unlinked":          {stranger, "/start", "556002"},
		}
		for name, tt := range tests {
			t.Run(name, func(t *testing.T) {
				u := cs.bot.SendText(tt.from, tt.text)
				cs.reply(tt.from.ID, u.Message.MessageID, tt.want)
			})
		}
		if cs.telegramID(dave) != 0 || cs.telegramID(cs.user) != cs.from.ID {
			t.Fatal("a refused /start changed a link")
		}
		// The refused code still works for its rightful owner.
		daveTG := telegramtest.User{ID: 556003, FirstName: "Dave"}
		u := cs.bot.SendText(daveTG, "/start "+daveLink.Code)
		cs.reply(daveTG.ID, u.Message.MessageID, "dave")
	})
	t.Run("a pasted id gets a notice", func(t *testing.T) {
		_, erin := cs.s.createUser(cs.admin, "erin")
		erinTG := telegramtest.User{ID: 556004, FirstName: "Erin"}
		hello := cs.bot.SendText(erinTG, "hello?")
		cs.reply(erinTG.ID, hello.Message.MessageID, "556004")
		cs.s.linkTelegram(erin, erinTG.ID)
		waitReply(t, cs.bot, erinTG.ID, "now linked", "erin")
	})
	t.Run("unlink", func(t *testing.T) {
		u := cs.bot.SendText(carolTG, "/unlink")
		cs.reply(carolTG.ID, u.Message.MessageID, "Unlinked", "carol")
		eventually(t, 5*time.Second, "unlinked", func() bool { return cs.telegramID(carol) == 0 })
		after := cs.bot.SendText(carolTG, "not saved any more")
		cs.reply(carolTG.ID, after.Message.MessageID, "556001", "not linked")
		cs.s.waitMemos(carol, 1)
	})
	t.Run("rate limit", func(t *testing.T) {
		_, fay := cs.s.createUser(cs.admin, "fay")
		for i := 0; i < 5; i++ {
			if _, err := cs.createLink(fay); err != nil {
				t.Fatalf("link %d: %v", i, err)
			}
		}
		_, err := cs.createLink(fay)
		wantCode(t, err, connect.CodeResourceExhausted, "too many")
	})
}
