package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/memoria-app/memoria/bot/telegramtest"
	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
)

// chatStory is a running server whose bot talks to the fake, with one
// linked user (ann) and, optionally, an instance URL.
type chatStory struct {
	t     *testing.T
	s     *testServer
	tg    *telegramtest.Server
	bot   *telegramtest.Bot
	admin string
	user  string
	from  telegramtest.User
}

const chatBotName = "memoria_chat_bot"

func startChat(t *testing.T, token, instanceURL string) *chatStory {
	t.Helper()
	tg := telegramtest.NewServer()
	t.Cleanup(tg.Close)
	cs := &chatStory{t: t, tg: tg, bot: tg.AddBot(token, chatBotName), from: telegramtest.User{ID: 555001, FirstName: "Ann"}}
	cs.s = startServer(t, fastBot)
	_, cs.admin = cs.s.signUp("admin")
	_, cs.user = cs.s.createUser(cs.admin, "ann")
	cs.s.linkTelegram(cs.user, cs.from.ID)
	if instanceURL != "" {
		_, err := cs.s.as(cs.admin).System.UpdateSystemSetting(ctxT(t), connect.NewRequest(&v1.UpdateSystemSettingRequest{
			Setting: &v1.SystemSetting{InstanceUrl: instanceURL}, UpdateMask: mask("instance_url")}))
		if err != nil {
			t.Fatal(err)
		}
	}
	cs.s.setToken(cs.admin, tg.URL()+"/bot"+token)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := cs.bot.WaitPolling(ctx); err != nil {
		t.Fatal("bot not polling")
	}
	return cs
}

// settings changes the holder of token's user settings.
func (cs *chatStory) settings(token string, s *v1.UserSetting, paths ...string) {
	cs.t.Helper()
	if _, err := cs.s.as(token).UserSettings.UpdateUserSetting(ctxT(cs.t), connect.NewRequest(&v1.UpdateUserSettingRequest{Setting: s, UpdateMask: mask(paths...)})); err != nil {
		cs.t.Fatalf("UpdateUserSetting %v: %v", paths, err)
	}
}

// reply waits for the bot's reply to message id in chat whose text
// contains every part, and returns it as it now is.
func (cs *chatStory) reply(chat, id int64, parts ...string) telegramtest.Message {
	cs.t.Helper()
	var found telegramtest.Message
	deadline := time.Now().Add(10 * time.Second)
	err := waitUntil(deadline, func() bool {
		for _, m := range cs.bot.Replies(chat, id) {
			ok := true
			for _, p := range parts {
				ok = ok && strings.Contains(m.Text, p)
			}
			if ok {
				found = m
				return true
			}
		}
		return false
	})
	if err != nil {
		cs.t.Fatalf("no reply to message %d in chat %d containing %q; replies: %+v", id, chat, parts, cs.bot.Replies(chat, id))
	}
	return found
}

// answer waits for the answer to a callback query and returns its text.
func (cs *chatStory) answer(u telegramtest.Update) string {
	cs.t.Helper()
	var a telegramtest.CallbackAnswer
	if err := waitUntil(time.Now().Add(10*time.Second), func() bool {
		a, _ = cs.bot.Callback(u.CallbackQuery.ID)
		return a.Answered
	}); err != nil {
		cs.t.Fatalf("callback %s (%q) not answered", u.CallbackQuery.ID, u.CallbackQuery.Data)
	}
	return a.Text
}

// memo returns a memo through the API as the holder of token.
func (cs *chatStory) memo(token, name string) (*v1.Memo, error) {
	resp, err := cs.s.as(token).Memos.GetMemo(ctxT(cs.t), connect.NewRequest(&v1.GetMemoRequest{Name: name}))
	if err != nil {
		return nil, err
	}
	return resp.Msg, nil
}

// eventuallyMemo waits until the memo satisfies cond.
func (cs *chatStory) eventuallyMemo(name, what string, cond func(m *v1.Memo, err error) bool) {
	cs.t.Helper()
	eventually(cs.t, 10*time.Second, what, func() bool {
		m, err := cs.memo(cs.user, name)
		return cond(m, err)
	})
}

// confirmed waits for the bot's confirmation of u and returns it.
func (cs *chatStory) confirmed(u telegramtest.Update, parts ...string) telegramtest.Message {
	cs.t.Helper()
	return cs.reply(u.Message.Chat.ID, u.Message.MessageID, append([]string{"memos/"}, parts...)...)
}

// sentTo lists the texts the bot sent to a chat.
func (cs *chatStory) sentTo(chat int64) []string {
	var out []string
	for _, c := range cs.bot.SentMethod("sendMessage") {
		if c.Param("chat_id") == fmt.Sprint(chat) {
			out = append(out, c.Param("text"))
		}
	}
	return out
}

// marker sends /help and waits for its answer: everything the bot does
// for earlier updates of the chat has been queued by then.
func (cs *chatStory) marker(from telegramtest.User) {
	cs.t.Helper()
	u := cs.bot.SendText(from, "/help")
	cs.reply(from.ID, u.Message.MessageID, "/search")
}

func itoa(n int64) string { return fmt.Sprint(n) }

// waitUntil polls cond (outside the fake's lock) until it holds or the
// deadline passes.
func waitUntil(deadline time.Time, cond func() bool) error {
	for wait := time.Millisecond; ; wait = min(2*wait, 20*time.Millisecond) {
		if cond() {
			return nil
		}
		if time.Now().After(deadline) {
			return context.DeadlineExceeded
		}
		time.Sleep(wait)
	}
}

func connectReq[T any](m *T) *connect.Request[T] { return connect.NewRequest(m) }

const codeInvalid = connect.CodeInvalidArgument
