package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"

	"github.com/memoria-app/memoria/bot/telegramtest"
	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
)

// linkedStory starts a server whose bot runs against the fake with one
// linked Telegram user.
type linkedStory struct {
	s     *testServer
	tg    *telegramtest.Server
	bot   *telegramtest.Bot
	token string
	admin string
	user  string
	from  telegramtest.User
}

func startLinked(t *testing.T, token string) *linkedStory {
	t.Helper()
	tg := telegramtest.NewServer()
	t.Cleanup(tg.Close)
	ls := &linkedStory{tg: tg, bot: tg.AddBot(token, "failures_bot"), token: token, from: telegramtest.User{ID: 333001, FirstName: "Lin"}}
	ls.s = startServer(t, fastBot)
	_, ls.admin = ls.s.signUp("admin")
	_, ls.user = ls.s.createUser(ls.admin, "lin")
	ls.s.linkTelegram(ls.user, ls.from.ID)
	ls.s.setToken(ls.admin, tg.URL()+"/bot"+token)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ls.bot.WaitPolling(ctx); err != nil {
		t.Fatal("bot not polling")
	}
	return ls
}

func TestTelegramRejectedTokenIsReportedAndRetriedSlowly(t *testing.T) {
	tg := telegramtest.New()
	var requests atomic.Int64
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		tg.Handler().ServeHTTP(w, r)
	}))
	// Cleanups run last-in first-out: the server (registered below) stops
	// before the fake, so no long poll holds front.Close.
	t.Cleanup(front.Close)
	t.Cleanup(tg.Close)
	s := startServer(t, fastBot)
	_, admin := s.signUp("admin")
	const token = "8000000001:not_registered_yet"
	s.setToken(admin, front.URL+"/bot"+token)
	eventually(t, 5*time.Second, "ERROR state", func() bool {
		st := botStatus(t, s, admin)
		return st.State == v1.BotState_BOT_STATE_ERROR && strings.Contains(st.Error, "the token was rejected by Telegram")
	})
	// Retries back off: a handful of getMe calls in half a second, not a
	// tight loop.
	time.Sleep(500 * time.Millisecond)
	if n := requests.Load(); n > 15 {
		t.Fatalf("%d requests with a rejected token in ~0.5 s: not backing off", n)
	}
	// Once Telegram accepts the token the bot recovers by itself.
	b := tg.AddBot(token, "late_bot")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.WaitPolling(ctx); err != nil {
		t.Fatal("the bot did not recover")
	}
	eventually(t, 2*time.Second, "RUNNING", func() bool {
		st := botStatus(t, s, admin)
		return st.State == v1.BotState_BOT_STATE_RUNNING && st.Username == "late_bot" && st.Error == ""
	})
}

func TestTelegramRetryAfterIsHonoured(t *testing.T) {
	ls := startLinked(t, "8000000002:retry_after")
	ls.bot.FailNext(1, telegramtest.Fault{Kind: telegramtest.FaultTooManyRequests, RetryAfter: 2, Methods: []string{"getUpdates"}})
	// The waiting poll returns nothing; the next one gets the 429.
	ls.bot.SendText(ls.from, "wakes the poller")
	ls.s.waitMemos(ls.user, 1)
	var before time.Time
	ls.bot.SendText(ls.from, "after a 429")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	calls, err := ls.bot.WaitCalls(ctx, func(cs []telegramtest.Call) bool {
		seen429 := false
		for _, c := range cs {
			if c.Method == "getUpdates" && c.Fault == telegramtest.FaultTooManyRequests {
				seen429, before = true, c.Time
			} else if seen429 && c.Method == "getUpdates" {
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatal("no getUpdates after the 429")
	}
	var next time.Time
	for _, c := range calls {
		if c.Method == "getUpdates" && c.Time.After(before) {
			next = c.Time
			break
		}
	}
	if wait := next.Sub(before); wait < 2*time.Second || wait > 5*time.Second {
		t.Fatalf("next getUpdates %v after a 429 with retry_after=2, want 2 s", wait)
	}
	ls.s.waitMemos(ls.user, 2)
}

func TestTelegramConflictIsReported(t *testing.T) {
	ls := startLinked(t, "8000000003:conflict")
	// Another program polls the same bot: Telegram ends one of the two
	// long polls with 409.
	other, err := gotgbot.NewBot(ls.token, &gotgbot.BotOpts{DisableTokenCheck: true, BotClient: &gotgbot.BaseBotClient{
		DefaultRequestOpts: &gotgbot.RequestOpts{APIURL: ls.tg.URL(), Timeout: 5 * time.Second},
	}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		other.GetUpdates(&gotgbot.GetUpdatesOpts{Timeout: 1, Offset: -1})
		st := botStatus(t, ls.s, ls.admin)
		if st.State == v1.BotState_BOT_STATE_ERROR && strings.Contains(st.Error, "409") {
			return
		}
	}
	t.Fatal("status never reported the conflict")
}

func TestTelegramTooBigFileKeepsTheText(t *testing.T) {
	ls := startLinked(t, "8000000004:too_big")
	big := bytes.Repeat([]byte("x"), telegramtest.MaxDownloadSize+1)
	ls.bot.SendDocument(ls.from, telegramtest.Media{Data: big, FileName: "huge.bin", Caption: "notes about the big file"})
	m := ls.s.waitMemos(ls.user, 1)[0]
	if m.Content != "notes about the big file" || len(m.Resources) != 0 {
		t.Fatalf("memo = %q with %d resources", m.Content, len(m.Resources))
	}
	waitReply(t, ls.bot, ls.from.ID, "huge.bin", "not these files")
}

func TestTelegramOddInputDoesNotStall(t *testing.T) {
	ls := startLinked(t, "8000000005:odd_input")
	raws := []string{
		`{"something_new":{"x":1}}`,
		`{"message":{"message_id":"NaN"}}`,
		`{"message":{"message_id":5,"date":1,"chat":{"id":333001,"type":"private"},"text":"no sender"}}`,
		`{"message":{"message_id":6,"date":1,"chat":{"id":333001,"type":"private"},"from":{"id":333001,"is_bot":false,"first_name":"Lin"},"text":"bad entities","entities":[{"type":"bold","offset":40,"length":3},{"type":"italic","offset":-1,"length":100}]}}`,
		`{"edited_message":{"message_id":6,"date":1,"chat":{"id":333001,"type":"private"},"from":{"id":333001,"is_bot":false,"first_name":"Lin"},"text":"edited"}}`,
		`{"callback_query":{"id":"1","from":{"id":333001,"is_bot":false,"first_name":"Lin"},"chat_instance":"1","data":"x"}}`,
	}
	for _, r := range raws {
		if _, err := ls.bot.EnqueueRaw(json.RawMessage(r)); err != nil {
			t.Fatal(err)
		}
	}
	huge := strings.Repeat("long text ", 100000) // 1 MB
	ls.bot.SendText(ls.from, huge)
	ls.bot.SendSticker(ls.from, telegramtest.Media{Data: []byte("webp")})
	ls.bot.SendText(ls.from, "still alive")
	memos := ls.s.waitMemos(ls.user, 3)
	// The edit of "bad entities" may or may not be applied yet.
	if memos[0].Content != "still alive" || !strings.Contains(memos[2].Content, "bad entities") && memos[2].Content != "edited" || len(memos[1].Content) < len(huge)-10 {
		t.Fatalf("memos: %q / %d bytes / %q", memos[0].Content, len(memos[1].Content), memos[2].Content)
	}
	waitReply(t, ls.bot, ls.from.ID, "can't save stickers", "photos")
}

func TestTelegramGroupsStaySilentTowardUnlinkedSenders(t *testing.T) {
	ls := startLinked(t, "8000000006:groups")
	group := telegramtest.Chat{ID: -100777, Type: "supergroup", Title: "Friends"}
	stranger := telegramtest.User{ID: 999111, FirstName: "Stranger"}
	ls.bot.SendTextIn(group, stranger, "hi all")
	ls.bot.SendTextIn(group, ls.from, "from the linked user in a group @failures_bot")
	memos := ls.s.waitMemos(ls.user, 1)
	if memos[0].Content != "from the linked user in a group" {
		t.Fatalf("memo = %q", memos[0].Content)
	}
	// Replies to one chat go out in order: once the linked user's
	// confirmation is out in the group, a reply to the stranger (queued
	// before it) would have been sent too.
	waitReply(t, ls.bot, group.ID, "Saved")
	for _, c := range ls.bot.SentMethod("sendMessage") {
		if strings.Contains(c.Param("text"), "999111") {
			t.Fatalf("the bot answered an unlinked sender in a group: %q", c.Param("text"))
		}
	}
}

func TestTelegramForwardKeepsOrigin(t *testing.T) {
	ls := startLinked(t, "8000000007:forward")
	ls.bot.Forward(ls.from, telegramtest.MessageOrigin{Type: "hidden_user", Date: 1, SenderUserName: "Anonymous Ann"}, "wise words")
	m := ls.s.waitMemos(ls.user, 1)[0]
	if m.Content != "Forwarded from Anonymous Ann\n\nwise words" {
		t.Fatalf("memo = %q", m.Content)
	}
}
