package telegramtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

func TestSetWebhookChecksItsParameters(t *testing.T) {
	srv, _ := newTestServer(t)
	b := gotBot(t, srv.URL(), testToken)
	tests := []struct {
		name string
		url  string
		opts gotgbot.SetWebhookOpts
		want string // fragment of the 400's description; "" for success
	}{
		{"http url", "http://memo.example.com/telegram/webhook", gotgbot.SetWebhookOpts{}, "An HTTPS URL must be provided"},
		{"not a url", "https://", gotgbot.SetWebhookOpts{}, "An HTTPS URL must be provided"},
		{"secret with a space", "https://memo.example.com/hook", gotgbot.SetWebhookOpts{SecretToken: "a b"}, "secret token contains unallowed characters"},
		{"secret too long", "https://memo.example.com/hook", gotgbot.SetWebhookOpts{SecretToken: strings.Repeat("a", 257)}, "secret token contains unallowed characters"},
		{"ok", "https://memo.example.com/hook", gotgbot.SetWebhookOpts{SecretToken: "A-z_09", MaxConnections: 1, AllowedUpdates: []string{"message"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := b.SetWebhook(tt.url, &tt.opts)
			if tt.want == "" {
				if !ok || err != nil {
					t.Fatalf("setWebhook = %v, %v", ok, err)
				}
				return
			}
			if tgErr := telegramError(t, err); tgErr.Code != 400 || !strings.Contains(tgErr.Description, tt.want) {
				t.Fatalf("setWebhook = %d %q, want 400 %q", tgErr.Code, tgErr.Description, tt.want)
			}
		})
	}
	info, err := b.GetWebhookInfo(nil)
	if err != nil || info.Url != "https://memo.example.com/hook" || info.MaxConnections != 1 || len(info.AllowedUpdates) != 1 || info.AllowedUpdates[0] != "message" {
		t.Fatalf("getWebhookInfo = %+v, %v", info, err)
	}
	// allowed_updates left out keeps the previous setting.
	if _, err := b.SetWebhook("https://memo.example.com/other", nil); err != nil {
		t.Fatal(err)
	}
	if info, _ := b.GetWebhookInfo(nil); len(info.AllowedUpdates) != 1 || info.MaxConnections != 40 {
		t.Fatalf("after setWebhook without allowed_updates: %+v", info)
	}
	// An empty url removes the webhook.
	if ok, err := b.SetWebhook("", nil); !ok || err != nil {
		t.Fatalf("setWebhook(\"\") = %v, %v", ok, err)
	}
	if info, _ := b.GetWebhookInfo(nil); info.Url != "" {
		t.Fatalf("after setWebhook(\"\"): %+v", info)
	}
}

// receiver is a webhook endpoint over TLS that answers each attempt as
// answer says and records what arrived.
type receiver struct {
	mu     sync.Mutex
	bodies []string // every attempt's body
	secret []string
	answer func(attempt int) (status int, delay time.Duration)
	ts     *httptest.Server
}

func newReceiver(t *testing.T, answer func(attempt int) (int, time.Duration)) *receiver {
	rc := &receiver{answer: answer}
	rc.ts = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		n := len(rc.bodies)
		rc.bodies = append(rc.bodies, string(body))
		rc.secret = append(rc.secret, r.Header.Get(SecretHeader))
		rc.mu.Unlock()
		status, delay := rc.answer(n)
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.ts.Close)
	return rc
}

func (rc *receiver) updateIDs() []int64 {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var ids []int64
	for _, b := range rc.bodies {
		var u struct {
			UpdateID int64 `json:"update_id"`
		}
		json.Unmarshal([]byte(b), &u)
		ids = append(ids, u.UpdateID)
	}
	return ids
}

func TestWebhookDeliversInOrderAndRetries(t *testing.T) {
	srv, tg := newTestServer(t)
	// Attempt 0 fails with 500, attempt 1 gets no answer in time, the rest
	// succeed.
	rc := newReceiver(t, func(n int) (int, time.Duration) {
		switch n {
		case 0:
			return http.StatusInternalServerError, 0
		case 1:
			return http.StatusOK, 10 * time.Second
		}
		return http.StatusOK, 0
	})
	client := rc.ts.Client()
	client.Timeout = time.Second
	srv.SetWebhookClient(client)
	srv.SetWebhookRetry(5*time.Millisecond, 20*time.Millisecond)
	b := gotBot(t, srv.URL(), testToken)
	u1 := tg.SendText(ann, "one")
	u2 := tg.SendText(ann, "two")
	if _, err := b.SetWebhook(rc.ts.URL+"/telegram/webhook", &gotgbot.SetWebhookOpts{SecretToken: "s3cret"}); err != nil {
		t.Fatal(err)
	}
	u3 := tg.SendText(ann, "three")
	ctx := testContext(t)
	if err := tg.WaitConfirmed(ctx, u3.UpdateID); err != nil {
		t.Fatalf("not delivered: %d confirmed; attempts %v", tg.Confirmed(), rc.updateIDs())
	}
	got := rc.updateIDs()
	// update 1 retried (twice, or once when the slow answer's attempt
	// raced the client's timeout on a loaded machine, seen in CI), then
	// 2 and 3 once each, in order.
	want := []int64{u1.UpdateID, u1.UpdateID, u1.UpdateID, u2.UpdateID, u3.UpdateID}
	if len(got) == len(want)-1 {
		want = want[1:]
	}
	if len(got) != len(want) {
		t.Fatalf("attempts = %v, want %v; deliveries %+v", got, want, tg.Deliveries())
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("attempts = %v, want %v", got, want)
		}
	}
	for i, s := range rc.secret {
		if s != "s3cret" {
			t.Errorf("attempt %d carried secret %q", i, s)
		}
	}
	ds := tg.Deliveries()
	switch {
	case len(ds) != len(want), ds[0].Status != 500, !ds[len(ds)-3].OK(), !ds[len(ds)-2].OK(), !ds[len(ds)-1].OK():
		t.Fatalf("deliveries = %+v", ds)
	case len(ds) == 5 && ds[1].Err == "": // the slow attempt timed out
		t.Fatalf("deliveries = %+v", ds)
	}
	info, err := b.GetWebhookInfo(nil)
	if err != nil || info.PendingUpdateCount != 0 || info.LastErrorDate == 0 || info.LastErrorMessage == "" {
		t.Fatalf("getWebhookInfo = %+v, %v", info, err)
	}
	_, err = poll(ctx, b, 0, 0)
	if tgErr := telegramError(t, err); tgErr.Code != 409 {
		t.Fatalf("getUpdates with a webhook = %v", err)
	}
}

func TestDeleteWebhookStopsDeliveryAndKeepsUpdates(t *testing.T) {
	srv, tg := newTestServer(t)
	rc := newReceiver(t, func(int) (int, time.Duration) { return http.StatusServiceUnavailable, 0 })
	srv.SetWebhookClient(rc.ts.Client())
	srv.SetWebhookRetry(5*time.Millisecond, 10*time.Millisecond)
	b := gotBot(t, srv.URL(), testToken)
	if _, err := b.SetWebhook(rc.ts.URL+"/hook", nil); err != nil {
		t.Fatal(err)
	}
	u := tg.SendText(ann, "kept")
	ctx := testContext(t)
	if _, err := tg.WaitDeliveries(ctx, func(ds []Delivery) bool { return len(ds) >= 2 }); err != nil {
		t.Fatal("no delivery attempts")
	}
	if ok, err := b.DeleteWebhook(nil); !ok || err != nil {
		t.Fatalf("deleteWebhook = %v, %v", ok, err)
	}
	got, err := poll(ctx, b, 0, 0)
	if err != nil || len(got) != 1 || got[0].UpdateId != u.UpdateID {
		t.Fatalf("getUpdates after deleteWebhook = %+v, %v", got, err)
	}
	n := len(tg.Deliveries())
	tg.SendText(ann, "after delete")
	if _, err := poll(ctx, b, u.UpdateID+1, 0); err != nil {
		t.Fatal(err)
	}
	if len(tg.Deliveries()) != n {
		t.Errorf("deliveries went on after deleteWebhook")
	}
}

func TestSetWebhookEndsAWaitingPoll(t *testing.T) {
	srv, tg := newTestServer(t)
	b := gotBot(t, srv.URL(), testToken)
	ctx := testContext(t)
	errs := make(chan error, 1)
	go func() {
		_, err := poll(ctx, b, 0, 10)
		errs <- err
	}()
	if err := tg.WaitPolling(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SetWebhook("https://memo.example.com/hook", nil); err != nil {
		t.Fatal(err)
	}
	if tgErr := telegramError(t, <-errs); tgErr.Code != 409 {
		t.Fatalf("the waiting getUpdates = %d %q, want 409", tgErr.Code, tgErr.Description)
	}
}
