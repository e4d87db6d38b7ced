package app_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/memoria-app/memoria/app"
	"github.com/memoria-app/memoria/bot/telegramtest"
	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
)

const notifyToken = "424242:AAnotifyTestToken_x"

// notifyStory is a running server whose bot talks to the fake, with a
// controllable clock, ticker and disk probe for the notifier.
type notifyStory struct {
	t     *testing.T
	s     *testServer
	tg    *telegramtest.Server
	bot   *telegramtest.Bot
	admin string
	data  storage
	tick  chan time.Time
	clock *testClock
	disk  atomic.Uint64 // math.Float64bits of the fraction
}

// testClock is a clock a test sets.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// startNotify starts a server with the bot running against a new fake.
func startNotify(t *testing.T) *notifyStory {
	t.Helper()
	ns := startNotifyWithoutBot(t)
	ns.startBot()
	return ns
}

// startNotifyWithoutBot starts a server with an admin and no bot token.
func startNotifyWithoutBot(t *testing.T) *notifyStory {
	t.Helper()
	tg := telegramtest.NewServer()
	t.Cleanup(tg.Close)
	ns := &notifyStory{t: t, tg: tg, bot: tg.AddBot(notifyToken, "memoria_notify_bot"), data: newStorage(t),
		clock: &testClock{now: time.Now()}}
	ns.start()
	_, ns.admin = ns.s.signUp("admin")
	return ns
}

// startBot saves the fake's token and waits until the bot polls.
func (ns *notifyStory) startBot() {
	ns.t.Helper()
	ns.s.setToken(ns.admin, ns.tg.URL()+"/bot"+notifyToken)
	ns.waitPolling()
}

// start (re)starts the server on the story's data directory.
func (ns *notifyStory) start() {
	ns.tick = make(chan time.Time)
	ns.s = startServer(ns.t, fastBot, ns.data.use, func(c *app.Config) {
		c.Bot.Notify.Now = ns.clock.Now
		c.Bot.Notify.Tick = ns.tick
		c.Bot.Notify.DiskUsage = func() (float64, error) { return math.Float64frombits(ns.disk.Load()), nil }
	})
}

// restart stops the server and starts a new one on the same data.
func (ns *notifyStory) restart() {
	ns.s.Stop()
	ns.start()
	ns.waitPolling()
}

func (ns *notifyStory) waitPolling() {
	ns.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ns.bot.WaitPolling(ctx); err != nil {
		ns.t.Fatal("bot not polling")
	}
}

func (ns *notifyStory) setDisk(f float64) { ns.disk.Store(math.Float64bits(f)) }

// check runs the notifier's periodic check at the clock's time, and
// returns once it is done (its messages queued): the second tick is taken
// only after the first check.
func (ns *notifyStory) check(at time.Time) {
	ns.t.Helper()
	ns.clock.Set(at)
	for i := 0; i < 2; i++ {
		select {
		case ns.tick <- at:
		case <-time.After(10 * time.Second):
			ns.t.Fatal("the notifier does not take ticks")
		}
	}
}

// user creates a user linked to Telegram id tgID, known to the fake,
// with notifications on or off and a timezone ("" leaves the default).
func (ns *notifyStory) user(name string, tgID int64, on bool, tz string) (string, telegramtest.User) {
	ns.t.Helper()
	_, token := ns.s.createUser(ns.admin, name)
	return token, ns.link(token, name, tgID, on, tz)
}

// link links the holder of token to tgID and sets notifications.
func (ns *notifyStory) link(token, name string, tgID int64, on bool, tz string) telegramtest.User {
	ns.t.Helper()
	from := telegramtest.User{ID: tgID, FirstName: name}
	ns.bot.AddChat(telegramtest.PrivateChat(from))
	ns.s.linkTelegram(token, tgID)
	paths := []string{"telegram_notifications"}
	if tz != "" {
		paths = append(paths, "timezone")
	}
	_, err := ns.s.as(token).UserSettings.UpdateUserSetting(ctxT(ns.t), connect.NewRequest(&v1.UpdateUserSettingRequest{
		Setting: &v1.UserSetting{TelegramNotifications: on, Timezone: tz}, UpdateMask: mask(paths...)}))
	if err != nil {
		ns.t.Fatal(err)
	}
	return from
}

// sent lists the texts (and captions) the bot sent to chat, by sendMessage
// or sendPhoto, in order.
func (ns *notifyStory) sent(chat string) []string {
	var out []string
	for _, c := range ns.bot.Sent() {
		if c.Param("chat_id") != chat {
			continue
		}
		switch c.Method {
		case "sendMessage":
			out = append(out, c.Param("text"))
		case "sendPhoto":
			out = append(out, c.Param("caption"))
		}
	}
	return out
}

// containing filters texts to those containing every part.
func containing(texts []string, parts ...string) []string {
	var out []string
	for _, s := range texts {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(s, p)
		}
		if ok {
			out = append(out, s)
		}
	}
	return out
}

// waitSent waits until chat got a text containing every part.
func (ns *notifyStory) waitSent(chat int64, parts ...string) string {
	ns.t.Helper()
	return ns.waitSentTo(fmt.Sprint(chat), parts...)
}

// waitSentTo waits until the chat_id chat (digits or @name) got a text
// containing every part.
func (ns *notifyStory) waitSentTo(chat string, parts ...string) string {
	ns.t.Helper()
	var found string
	eventually(ns.t, 10*time.Second, fmt.Sprintf("a message to %s containing %q", chat, parts), func() bool {
		hits := containing(ns.sent(chat), parts...)
		if len(hits) > 0 {
			found = hits[0]
		}
		return len(hits) > 0
	})
	return found
}

// quiet waits until everything queued for from's chat before now has
// been sent: the chat's messages go out in order, and /help is answered
// after the notifier's check.
func (ns *notifyStory) quiet(from telegramtest.User) {
	ns.t.Helper()
	u := ns.bot.SendText(from, "/help")
	eventually(ns.t, 10*time.Second, "the /help marker answered", func() bool { return len(ns.bot.Replies(from.ID, u.Message.MessageID)) > 0 })
}

// drained waits until the notifier has handled every memo change so far
// (the outbox is empty).
func (ns *notifyStory) drained() {
	ns.t.Helper()
	eventually(ns.t, 10*time.Second, "an empty notification outbox", func() bool {
		entries, err := ns.s.App.Rules().NotifyOutbox(ctxT(ns.t), 1)
		if err != nil {
			ns.t.Fatal(err)
		}
		return len(entries) == 0
	})
}

// memo creates a memo as the holder of token.
func (ns *notifyStory) memo(token, content string, vis v1.Visibility) *v1.Memo {
	return ns.s.createMemo(token, content, vis)
}

// update changes a memo's content or visibility as the holder of token.
func (ns *notifyStory) update(token string, m *v1.Memo, paths ...string) {
	ns.t.Helper()
	if _, err := ns.s.as(token).Memos.UpdateMemo(ctxT(ns.t), connect.NewRequest(&v1.UpdateMemoRequest{Memo: m, UpdateMask: mask(paths...)})); err != nil {
		ns.t.Fatal(err)
	}
}
