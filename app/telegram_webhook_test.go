package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/memoria-app/memoria/bot/telegramtest"
	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
)

// httpsFront is the public https side of an instance: a TLS reverse proxy
// to it on loopback (what a real deployment's load balancer is). While
// down it answers 502, as a proxy does when the instance is gone.
type httpsFront struct {
	ts   *httptest.Server
	down atomic.Bool
}

func newHTTPSFront(t *testing.T, backend string) *httpsFront {
	t.Helper()
	target, err := url.Parse(backend)
	if err != nil {
		t.Fatal(err)
	}
	f := &httpsFront{}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ErrorLog = nil
	proxy.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }
	f.ts = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.down.Load() {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(f.ts.Close)
	return f
}

// useFront makes the fake deliver webhooks through the front (trusting its
// certificate), retrying quickly.
func useFront(tg *telegramtest.Server, f *httpsFront) {
	c := f.ts.Client()
	c.Timeout = 10 * time.Second
	tg.SetWebhookClient(c)
	tg.SetWebhookRetry(5*time.Millisecond, 200*time.Millisecond)
}

// setWebhookMode saves instanceUrl, the token and webhook mode in one
// change, so the bot starts in webhook mode.
func setWebhookMode(t *testing.T, s *testServer, admin, instanceURL, token string) {
	t.Helper()
	_, err := s.as(admin).System.UpdateSystemSetting(ctxT(t), connect.NewRequest(&v1.UpdateSystemSettingRequest{
		Setting: &v1.SystemSetting{InstanceUrl: instanceURL, TelegramBotToken: token,
			TelegramUpdateMode: v1.TelegramUpdateMode_TELEGRAM_UPDATE_MODE_WEBHOOK},
		UpdateMask: mask("instance_url", "telegram_bot_token", "telegram_update_mode"),
	}))
	if err != nil {
		t.Fatalf("set webhook mode: %v", err)
	}
}

// startWebhookChat is startChat in webhook mode: a linked user (ann), the
// bot's webhook set at the https front.
func startWebhookChat(t *testing.T, token string) (*chatStory, *httpsFront) {
	t.Helper()
	tg := telegramtest.NewServer()
	t.Cleanup(tg.Close)
	cs := &chatStory{t: t, tg: tg, bot: tg.AddBot(token, chatBotName), from: telegramtest.User{ID: 555001, FirstName: "Ann"}}
	cs.s = startServer(t, fastBot)
	front := newHTTPSFront(t, cs.s.URL)
	useFront(tg, front)
	_, cs.admin = cs.s.signUp("admin")
	_, cs.user = cs.s.createUser(cs.admin, "ann")
	cs.s.linkTelegram(cs.user, cs.from.ID)
	setWebhookMode(t, cs.s, cs.admin, front.ts.URL, tg.URL()+"/bot"+token)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := cs.bot.WaitWebhook(ctx); err != nil {
		t.Fatal("no webhook set")
	}
	if u, secret := cs.bot.Webhook(); u != front.ts.URL+"/telegram/webhook" || len(secret) < 32 {
		t.Fatalf("webhook = %q with a %d-character secret", u, len(secret))
	}
	eventually(t, 5*time.Second, "bot running", func() bool {
		return botStatus(t, cs.s, cs.admin).State == v1.BotState_BOT_STATE_RUNNING
	})
	return cs, front
}

// TestTelegramWebhookStory: the polling story through the webhook — text,
// photo, an album delivered one update at a time, an edit and a button
// press, each handled exactly once, and getUpdates never called.
func TestTelegramWebhookStory(t *testing.T) {
	cs, _ := startWebhookChat(t, "8300000001:webhook_story")
	setCall, ok := lastCall(cs.bot, "setWebhook")
	if !ok || setCall.Param("max_connections") != "1" || setCall.Param("allowed_updates") != `["message","edited_message","callback_query"]` {
		t.Fatalf("setWebhook = %+v", setCall.Params)
	}
	text := cs.bot.SendText(cs.from, "through the webhook")
	m := cs.s.waitMemos(cs.user, 1)[0]
	if m.Content != "through the webhook" || m.Source != v1.Source_SOURCE_TELEGRAM {
		t.Fatalf("memo = %q %v", m.Content, m.Source)
	}
	conf := cs.confirmed(text, "Saved")

	img := pngBytes(7)
	cs.bot.SendPhoto(cs.from, "webhook photo", nil, img, "")
	photo := cs.s.waitMemos(cs.user, 2)[0]
	if photo.Content != "webhook photo" || len(photo.Resources) != 1 || !bytes.Equal(cs.s.fileBytes(cs.user, photo.Resources[0]), img) {
		t.Fatalf("photo memo = %q with %d resources", photo.Content, len(photo.Resources))
	}

	for i := range 3 {
		caption := ""
		if i == 0 {
			caption = "webhook album"
		}
		cs.bot.SendPhoto(cs.from, caption, nil, pngBytes(20+i), "wh-album")
	}
	album := cs.s.waitMemos(cs.user, 3)[0]
	eventually(t, 10*time.Second, "album of 3", func() bool {
		album = cs.s.waitMemos(cs.user, 3)[0]
		return len(album.Resources) == 3
	})
	if album.Content != "webhook album" {
		t.Fatalf("album memo = %q", album.Content)
	}

	cs.bot.EditText(text, "edited through the webhook")
	cs.eventuallyMemo(m.Name, "edit applied", func(m *v1.Memo, err error) bool {
		return err == nil && m.Content == "edited through the webhook"
	})

	press := cs.bot.Press(cs.from, cs.bot.Message(conf.Chat.ID, conf.MessageID), "Public")
	if got := cs.answer(press); got != "Now Public." {
		t.Fatalf("press answered %q", got)
	}
	cs.eventuallyMemo(m.Name, "made public", func(m *v1.Memo, err error) bool {
		return err == nil && m.Visibility == v1.Visibility_VISIBILITY_PUBLIC
	})

	cs.marker(cs.from)
	if n := len(cs.s.waitMemos(cs.user, 3)); n != 3 {
		t.Fatalf("%d memos, want 3", n)
	}
	confirmations := 0
	for _, txt := range cs.sentTo(cs.from.ID) {
		if strings.Contains(txt, "Saved") {
			confirmations++
		}
	}
	if confirmations != 3 {
		t.Errorf("%d confirmations, want 3 (text, photo, album)", confirmations)
	}
	if a, _ := cs.bot.Callback(press.CallbackQuery.ID); !a.Answered {
		t.Error("press not answered")
	}
	for _, c := range cs.bot.Calls() {
		if c.Method == "getUpdates" {
			t.Fatal("getUpdates was called in webhook mode")
		}
	}
	for _, d := range cs.bot.Deliveries() {
		if !d.OK() {
			t.Errorf("delivery of %d failed: %d %s", d.UpdateID, d.Status, d.Err)
		}
	}
}

func lastCall(b *telegramtest.Bot, method string) (telegramtest.Call, bool) {
	calls := b.SentMethod(method)
	if len(calls) == 0 {
		return telegramtest.Call{}, false
	}
	return calls[len(calls)-1], true
}

// postUpdate POSTs a body to the instance's webhook path directly.
func postUpdate(t *testing.T, base, secret, body string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/telegram/webhook", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set(telegramtest.SecretHeader, secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestTelegramWebhookRefusals: bad deliveries are answered 401, 413 or
// 400 and store nothing; a duplicate update_id is answered 200 and
// handled once.
func TestTelegramWebhookRefusals(t *testing.T) {
	cs, _ := startWebhookChat(t, "8300000002:webhook_refusals")
	_, secret := cs.bot.Webhook()
	// Ids below the fake's, so anything stored would be handled before
	// the marker below.
	update := func(id int64, text string) string {
		return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":1,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"is_bot":false,"first_name":"Ann"},"text":%q}}`,
			id, 900+id, cs.from.ID, cs.from.ID, text)
	}
	huge := update(5, strings.Repeat("x", 1<<20))
	tests := []struct {
		name, secret, body string
		want               int
	}{
		{"missing secret", "", update(1, "no secret"), http.StatusUnauthorized},
		{"wrong secret", secret + "x", update(2, "wrong secret"), http.StatusUnauthorized},
		{"oversized", secret, huge, http.StatusRequestEntityTooLarge},
		{"oversized without secret", "", huge, http.StatusUnauthorized},
		{"malformed", secret, `{"update_id":3,"message":`, http.StatusBadRequest},
		{"no update_id", secret, `{"message":{"text":"no id"}}`, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := postUpdate(t, cs.s.URL, tt.secret, tt.body); got != tt.want {
				t.Fatalf("status = %d, want %d", got, tt.want)
			}
		})
	}
	t.Run("duplicate update_id", func(t *testing.T) {
		for i := range 3 {
			if got := postUpdate(t, cs.s.URL, secret, update(4, "delivered three times")); got != http.StatusOK {
				t.Fatalf("delivery %d: status = %d, want 200", i+1, got)
			}
		}
	})
	cs.bot.SendText(cs.from, "marker")
	memos := cs.s.waitMemos(cs.user, 2)
	if memos[0].Content != "marker" || memos[1].Content != "delivered three times" {
		t.Fatalf("memos = %q, %q; want only the duplicate (once) and the marker", memos[0].Content, memos[1].Content)
	}
	if strings.Contains(cs.s.Logs.String(), secret) {
		t.Error("the webhook secret appears in the logs")
	}
}

// TestTelegramWebhookDeliveryRetries: while the instance cannot be
// reached the fake keeps delivering; the update arrives once after.
func TestTelegramWebhookDeliveryRetries(t *testing.T) {
	cs, front := startWebhookChat(t, "8300000003:webhook_retries")
	front.down.Store(true)
	cs.bot.SendText(cs.from, "sent while the server was unreachable")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := cs.bot.WaitDeliveries(ctx, func(ds []telegramtest.Delivery) bool {
		failed := 0
		for _, d := range ds {
			if d.Status == http.StatusBadGateway {
				failed++
			}
		}
		return failed >= 3
	}); err != nil {
		t.Fatal("the fake did not retry")
	}
	// Nothing reaches the server, yet the admin sees why: Telegram's
	// getWebhookInfo says it cannot deliver.
	eventually(t, 5*time.Second, "status says Telegram cannot deliver", func() bool {
		st := botStatus(t, cs.s, cs.admin)
		return st.State == v1.BotState_BOT_STATE_ERROR && strings.Contains(st.Error, "cannot deliver") && strings.Contains(st.Error, "502")
	})
	front.down.Store(false)
	if m := cs.s.waitMemos(cs.user, 1)[0]; m.Content != "sent while the server was unreachable" {
		t.Fatalf("memo = %q", m.Content)
	}
	cs.marker(cs.from)
	cs.s.waitMemos(cs.user, 1)
	eventually(t, 5*time.Second, "status running again", func() bool {
		return botStatus(t, cs.s, cs.admin).State == v1.BotState_BOT_STATE_RUNNING
	})
}

// TestTelegramWebhookToPolling: switching back calls deleteWebhook, then
// polls; updates sent around the switch all arrive exactly once.
func TestTelegramWebhookToPolling(t *testing.T) {
	cs, _ := startWebhookChat(t, "8300000004:webhook_switch")
	cs.bot.SendText(cs.from, "before the switch")
	cs.s.waitMemos(cs.user, 1)
	for i := range 20 {
		cs.bot.SendText(cs.from, fmt.Sprintf("around the switch %02d", i))
	}
	_, err := cs.s.as(cs.admin).System.UpdateSystemSetting(ctxT(t), connect.NewRequest(&v1.UpdateSystemSettingRequest{
		Setting:    &v1.SystemSetting{TelegramUpdateMode: v1.TelegramUpdateMode_TELEGRAM_UPDATE_MODE_POLLING},
		UpdateMask: mask("telegram_update_mode"),
	}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cs.bot.WaitPolling(ctx); err != nil {
		t.Fatal("not polling after the switch")
	}
	if u, _ := cs.bot.Webhook(); u != "" {
		t.Fatalf("webhook still set: %q", u)
	}
	calls := cs.bot.Calls()
	deleted, polledBefore := false, false
	for _, c := range calls {
		switch c.Method {
		case "deleteWebhook":
			deleted = true
		case "getUpdates":
			polledBefore = polledBefore || !deleted
		}
	}
	if !deleted || polledBefore {
		t.Fatalf("deleteWebhook called: %v; getUpdates before it: %v", deleted, polledBefore)
	}
	cs.bot.SendText(cs.from, "after the switch")
	memos := cs.s.waitMemos(cs.user, 22)
	seen := map[string]int{}
	for _, m := range memos {
		seen[m.Content]++
	}
	for c, n := range seen {
		if n != 1 {
			t.Errorf("%q stored %d times", c, n)
		}
	}
	if seen["after the switch"] != 1 || seen["around the switch 19"] != 1 {
		t.Fatalf("memos: %v", seen)
	}
	// Back to webhook mode: the webhook is set again and delivery resumes.
	_, err = cs.s.as(cs.admin).System.UpdateSystemSetting(ctxT(t), connect.NewRequest(&v1.UpdateSystemSettingRequest{
		Setting:    &v1.SystemSetting{TelegramUpdateMode: v1.TelegramUpdateMode_TELEGRAM_UPDATE_MODE_WEBHOOK},
		UpdateMask: mask("telegram_update_mode"),
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := cs.bot.WaitWebhook(ctx); err != nil {
		t.Fatal("webhook not set again")
	}
	cs.bot.SendText(cs.from, "webhook again")
	if m := cs.s.waitMemos(cs.user, 23)[0]; m.Content != "webhook again" {
		t.Fatalf("newest memo = %q", m.Content)
	}
}

// TestTelegramWebhookCrashes kills the real binary with SIGKILL while it
// accepts and handles a burst through the webhook — once while a download
// holds handling up, so that accepted updates wait unhandled in the inbox —
// and restarts it each time: every update is handled exactly once.
func TestTelegramWebhookCrashes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 3))
	t.Logf("seed %d", seed)
	bin := buildBinary(t)
	tg := telegramtest.NewServer()
	defer tg.Close()
	const token = "6000000003:EEwebhook_crash"
	tgBot := tg.AddBot(token, "webhook_crash_bot")

	dir := t.TempDir()
	data := storageAt(t, filepath.Join(dir, "data"))
	addr := freeAddr(t)
	base := "http://" + addr
	front := newHTTPSFront(t, base)
	useFront(tg, front)
	p := startBinary(t, bin, addr, data)
	s := &testServer{tb: t, URL: base}
	_, admin := s.signUp("admin")
	_, user := s.createUser(admin, "alice")
	alice := telegramtest.User{ID: 434343, FirstName: "Alice"}
	s.linkTelegram(user, alice.ID)
	// A photo first, whose download waits 5 s: the updates after it keep
	// being accepted meanwhile, and wait in the inbox.
	held := pngBytes(999)
	first := tgBot.SendPhoto(alice, "held up", nil, held, "").UpdateID
	tgBot.FailNext(1, telegramtest.Fault{Kind: telegramtest.FaultDelay, Delay: 5 * time.Second, Methods: []string{telegramtest.Download}})
	const n = 400
	want := enqueueBurst(tgBot, alice, n, rng)
	want.want["held up"] = []string{fmt.Sprintf("%x", sha256Sum(held))}
	setWebhookMode(t, s, admin, front.ts.URL, tg.URL()+"/bot"+token)

	wait := func(id int64) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := tgBot.WaitConfirmed(ctx, id); err != nil {
			t.Fatalf("stalled before update %d: %d confirmed", id, tgBot.Confirmed())
		}
	}
	// Kill 1: while the delayed download holds handling up.
	wait(first + 20)
	resp, err := s.as(user).Memos.ListMemos(ctxT(t), connect.NewRequest(&v1.ListMemosRequest{PageSize: 1000}))
	if err != nil || len(resp.Msg.Memos) != 0 {
		t.Fatalf("memos while the first download is held up: %v, %v", len(resp.Msg.Memos), err)
	}
	t.Logf("kill 1: %d updates accepted, none handled", tgBot.Confirmed()-first)
	p.kill()
	p = startBinary(t, bin, addr, data)
	for kill := 2; kill <= 3; kill++ {
		wait(min(tgBot.Confirmed()+int64(rng.IntN(n/3)), want.last-1))
		time.Sleep(time.Duration(rng.IntN(30)) * time.Millisecond)
		t.Logf("kill %d: %d of %d updates accepted", kill, tgBot.Confirmed()-first, n+1)
		p.kill()
		p = startBinary(t, bin, addr, data)
	}
	wait(want.last)
	eventually(t, 60*time.Second, "every memo", func() bool {
		resp, err := s.as(user).Memos.ListMemos(ctxT(t), connect.NewRequest(&v1.ListMemosRequest{PageSize: 1000}))
		return err == nil && len(resp.Msg.Memos) >= len(want.want) && allResources(resp.Msg.Memos, want)
	})
	checkBurst(t, base, user, want)
	failed := 0
	for _, d := range tgBot.Deliveries() {
		if !d.OK() {
			failed++
		}
	}
	t.Logf("%d deliveries failed while the server was down and were retried", failed)
	p.stop(t)
	logs, _ := os.ReadFile(filepath.Join(dir, "memoria.log"))
	if _, secret := tgBot.Webhook(); secret == "" || bytes.Contains(logs, []byte(secret)) {
		t.Error("no secret, or the webhook secret appears in the logs")
	}
}

func sha256Sum(p []byte) []byte { h := sha256.Sum256(p); return h[:8] }

// allResources reports whether every album in memos has all its files
// (the last items of an album may still be on their way).
func allResources(memos []*v1.Memo, want burst) bool {
	for _, m := range memos {
		if sums, ok := want.want[m.Content]; ok && len(m.Resources) < len(sums) {
			return false
		}
	}
	return true
}

// TestTelegramWebhookSetFails: while setWebhook fails the bot is in
// BOT_STATE_ERROR saying why, retrying with backoff; once it succeeds the
// bot runs.
func TestTelegramWebhookSetFails(t *testing.T) {
	tg := telegramtest.NewServer()
	defer tg.Close()
	const token = "8300000005:webhook_fails"
	tgBot := tg.AddBot(token, "webhook_fails_bot")
	tgBot.FailNext(1000, telegramtest.Fault{Kind: telegramtest.FaultBadGateway, Methods: []string{"setWebhook"}})
	s := startServer(t, fastBot)
	front := newHTTPSFront(t, s.URL)
	useFront(tg, front)
	_, admin := s.signUp("admin")
	setWebhookMode(t, s, admin, front.ts.URL, tg.URL()+"/bot"+token)
	eventually(t, 5*time.Second, "error state", func() bool {
		st := botStatus(t, s, admin)
		return st.State == v1.BotState_BOT_STATE_ERROR && strings.Contains(st.Error, "cannot reach Telegram") &&
			len(tgBot.Deliveries()) == 0
	})
	if n := len(tgBot.SentMethod("setWebhook")); n != 0 {
		t.Fatalf("%d setWebhook calls reached the fake", n)
	}
	attempts := func() int {
		n := 0
		for _, c := range tgBot.Calls() {
			if c.Method == "setWebhook" {
				n++
			}
		}
		return n
	}
	eventually(t, 5*time.Second, "retries", func() bool { return attempts() >= 3 })
	tgBot.ClearFaults()
	eventually(t, 5*time.Second, "running", func() bool {
		return botStatus(t, s, admin).State == v1.BotState_BOT_STATE_RUNNING
	})
	if u, _ := tgBot.Webhook(); u != front.ts.URL+"/telegram/webhook" {
		t.Fatalf("webhook = %q", u)
	}
}
