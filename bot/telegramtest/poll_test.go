package telegramtest

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

func TestLongPollReturnsWhenAnUpdateArrives(t *testing.T) {
	srv, tg := newTestServer(t)
	b := gotBot(t, srv.URL(), testToken)
	ctx := testContext(t)
	type result struct {
		updates []gotgbot.Update
		err     error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		u, err := poll(ctx, b, 0, 60)
		done <- result{u, err}
	}()
	if err := tg.WaitPolling(ctx); err != nil {
		t.Fatal(err)
	}
	sent := tg.SendText(ann, "hello")
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
		if len(r.updates) != 1 || r.updates[0].UpdateId != sent.UpdateID || r.updates[0].Message.Text != "hello" {
			t.Fatalf("updates = %+v", r.updates)
		}
		if elapsed := time.Since(start); elapsed > 30*time.Second {
			t.Errorf("long poll took %v: it waited for its timeout", elapsed)
		}
	case <-ctx.Done():
		t.Fatal("the long poll did not return when the update arrived")
	}
}

func TestLongPollTimesOutEmpty(t *testing.T) {
	srv, tg := newTestServer(t)
	b := gotBot(t, srv.URL(), testToken)
	start := time.Now()
	updates, err := poll(testContext(t), b, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(updates) != 0 {
		t.Errorf("updates = %+v, want none", updates)
	}
	if elapsed := time.Since(start); elapsed < time.Second {
		t.Errorf("returned after %v, before the 1s timeout", elapsed)
	}
	if tg.Polling() {
		t.Error("still polling after the answer")
	}
	// The body is [], not null.
	status, body := do(t, "GET", srv.URL()+"/bot"+testToken+"/getUpdates", "", "")
	if status != 200 || body != `{"ok":true,"result":[]}` {
		t.Errorf("short poll = %d %s", status, body)
	}
}

func TestOffsetConfirmsAndDropsForever(t *testing.T) {
	srv, tg := newTestServer(t)
	b := gotBot(t, srv.URL(), testToken)
	ctx := testContext(t)
	var ids []int64
	for _, text := range []string{"one", "two", "three"} {
		ids = append(ids, tg.SendText(ann, text).UpdateID)
	}
	if ids[1] != ids[0]+1 || ids[2] != ids[1]+1 {
		t.Fatalf("update ids %v do not increase by one", ids)
	}
	got, err := poll(ctx, b, 0, 0)
	if err != nil || len(got) != 3 {
		t.Fatalf("first poll = %d updates, %v", len(got), err)
	}
	// Unconfirmed updates come again.
	if again, _ := poll(ctx, b, 0, 0); len(again) != 3 {
		t.Fatalf("unconfirmed updates were not redelivered: %d", len(again))
	}
	// Confirm the first two.
	got, err = poll(ctx, b, ids[1]+1, 0)
	if err != nil || len(got) != 1 || got[0].Message.Text != "three" {
		t.Fatalf("after confirming two: %+v, %v", got, err)
	}
	if tg.Pending() != 1 || tg.Confirmed() != ids[1]+1 {
		t.Errorf("Pending = %d, Confirmed = %d", tg.Pending(), tg.Confirmed())
	}
	if err := tg.WaitConfirmed(ctx, ids[1]); err != nil {
		t.Errorf("WaitConfirmed(%d): %v", ids[1], err)
	}
	// A lower offset does not bring them back.
	if got, _ := poll(ctx, b, ids[0], 0); len(got) != 1 {
		t.Errorf("confirmed updates came back: %d", len(got))
	}
	// Confirming everything leaves nothing; new updates get new ids.
	if got, _ := poll(ctx, b, ids[2]+1, 0); len(got) != 0 {
		t.Errorf("after confirming all: %d updates", len(got))
	}
	if next := tg.SendText(ann, "four").UpdateID; next != ids[2]+1 {
		t.Errorf("next update id = %d, want %d", next, ids[2]+1)
	}
}

func TestWaitConfirmedHonoursContext(t *testing.T) {
	_, tg := newTestServer(t)
	u := tg.SendText(ann, "never confirmed")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := tg.WaitConfirmed(ctx, u.UpdateID); err == nil {
		t.Error("WaitConfirmed returned nil for an unconfirmed update")
	}
}

func TestNegativeOffsetKeepsTheLast(t *testing.T) {
	srv, tg := newTestServer(t)
	b := gotBot(t, srv.URL(), testToken)
	for _, text := range []string{"a", "b", "c", "d"} {
		tg.SendText(ann, text)
	}
	got, err := poll(testContext(t), b, -2, 0)
	if err != nil || len(got) != 2 || got[0].Message.Text != "c" || got[1].Message.Text != "d" {
		t.Fatalf("offset -2 = %+v, %v", got, err)
	}
	if tg.Pending() != 2 {
		t.Errorf("Pending = %d, want 2: earlier updates are forgotten", tg.Pending())
	}
}

func TestLimitAndMaxBatch(t *testing.T) {
	srv, tg := newTestServer(t)
	b := gotBot(t, srv.URL(), testToken)
	ctx := testContext(t)
	for range 5 {
		tg.SendText(ann, "x")
	}
	got, err := b.GetUpdatesWithContext(ctx, &gotgbot.GetUpdatesOpts{Limit: 2})
	if err != nil || len(got) != 2 {
		t.Fatalf("limit 2 = %d updates, %v", len(got), err)
	}
	tg.SetMaxBatch(3)
	if got, _ := b.GetUpdatesWithContext(ctx, &gotgbot.GetUpdatesOpts{Limit: 100}); len(got) != 3 {
		t.Errorf("max batch 3, limit 100 = %d updates", len(got))
	}
	if got, _ := b.GetUpdatesWithContext(ctx, &gotgbot.GetUpdatesOpts{Limit: 1}); len(got) != 1 {
		t.Errorf("max batch 3, limit 1 = %d updates", len(got))
	}
	// Out-of-range limits mean the default.
	status, body := do(t, "GET", srv.URL()+"/bot"+testToken+"/getUpdates?limit=500", "", "")
	if status != 200 || strings.Count(body, `"update_id"`) != 3 {
		t.Errorf("limit=500 = %d %s", status, body)
	}
	if status, _ := do(t, "GET", srv.URL()+"/bot"+testToken+"/getUpdates?offset=abc", "", ""); status != http.StatusBadRequest {
		t.Errorf("offset=abc: status %d, want 400", status)
	}
}

// TestConcurrentPollConflict checks Telegram's behaviour: a second
// getUpdates terminates the one waiting, which gets 409, and is served.
func TestConcurrentPollConflict(t *testing.T) {
	srv, tg := newTestServer(t)
	first := gotBot(t, srv.URL(), testToken)
	second := gotBot(t, srv.URL()+"/proxy", testToken)
	ctx := testContext(t)
	errc := make(chan error, 1)
	go func() {
		_, err := poll(ctx, first, 0, 60)
		errc <- err
	}()
	if err := tg.WaitPolling(ctx); err != nil {
		t.Fatal(err)
	}
	type result struct {
		updates []gotgbot.Update
		err     error
	}
	secondDone := make(chan result, 1)
	go func() {
		u, err := poll(ctx, second, 0, 60)
		secondDone <- result{u, err}
	}()
	select {
	case err := <-errc:
		tgErr := telegramError(t, err)
		want := "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
		if tgErr.Code != http.StatusConflict || tgErr.Description != want {
			t.Errorf("older poll got %d %q", tgErr.Code, tgErr.Description)
		}
	case <-ctx.Done():
		t.Fatal("the older poll was not terminated")
	}
	// The newer poll is the one waiting, and gets the update.
	if err := tg.WaitPolling(ctx); err != nil {
		t.Fatal(err)
	}
	tg.SendText(ann, "for the second")
	select {
	case r := <-secondDone:
		if r.err != nil || len(r.updates) != 1 {
			t.Fatalf("the newer poll = %+v, %v; want served", r.updates, r.err)
		}
	case <-ctx.Done():
		t.Fatal("the newer poll did not return")
	}
}

func TestWebhookBlocksGetUpdates(t *testing.T) {
	srv, tg := newTestServer(t)
	b := gotBot(t, srv.URL(), testToken)
	tg.SetWebhook("https://example.test/hook")
	tg.SendText(ann, "queued")
	_, err := poll(testContext(t), b, 0, 0)
	if tgErr := telegramError(t, err); tgErr.Code != 409 || !strings.Contains(tgErr.Description, "webhook is active") {
		t.Fatalf("getUpdates with a webhook = %d %q", tgErr.Code, tgErr.Description)
	}
	info, err := b.GetWebhookInfo(nil)
	if err != nil || info.Url != "https://example.test/hook" || info.PendingUpdateCount != 1 {
		t.Fatalf("getWebhookInfo = %+v, %v", info, err)
	}
	if ok, err := b.DeleteWebhook(&gotgbot.DeleteWebhookOpts{DropPendingUpdates: true}); !ok || err != nil {
		t.Fatalf("deleteWebhook = %v, %v", ok, err)
	}
	got, err := poll(testContext(t), b, 0, 0)
	if err != nil || len(got) != 0 {
		t.Errorf("after deleteWebhook(drop_pending_updates) = %+v, %v", got, err)
	}
}

func TestCloseEndsLongPolls(t *testing.T) {
	srv := NewServer()
	tg := srv.AddBot(testToken, "memoria_bot")
	b := gotBot(t, srv.URL(), testToken)
	ctx := testContext(t)
	errc := make(chan error, 1)
	go func() {
		_, err := poll(ctx, b, 0, 60)
		errc <- err
	}()
	if err := tg.WaitPolling(ctx); err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-ctx.Done():
		t.Fatal("Close waited for the long poll")
	}
	if err := <-errc; err != nil {
		t.Errorf("the poll ended with %v, want an empty answer", err)
	}
}

// lateEOF is a request body whose end comes after a pause: gotgbot
// streams its multipart body through a pipe, so the chunked body's
// terminator follows the final boundary in a later write, which under load
// reaches the server after it has parsed the form.
type lateEOF struct {
	data  []byte
	pause time.Duration
	sent  bool
}

func (l *lateEOF) Read(p []byte) (int, error) {
	if !l.sent {
		l.sent = true
		return copy(p, l.data), nil
	}
	time.Sleep(l.pause)
	return 0, io.EOF
}

// TestCancelledLongPollEndsAtOnce: a client that cancels its long poll
// closes the connection, and the fake must see it go at once — the
// supervisor's "never two pollers" is checked against Polling. The body's
// end arriving after the form was parsed left the server not reading the
// connection, so the cancelled poll stayed open until its own timeout
// (seen once in the token-change story under CI load, over 15 s).
func TestCancelledLongPollEndsAtOnce(t *testing.T) {
	srv, tg := newTestServer(t)
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	mw.WriteField("timeout", "60")
	mw.Close()
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL()+"/bot"+testToken+"/getUpdates",
		&lateEOF{data: form.Bytes(), pause: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	client := &http.Client{Transport: &http.Transport{}}
	done := make(chan error, 1)
	go func() {
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	if err := tg.WaitPolling(testContext(t)); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	deadline := time.Now().Add(5 * time.Second)
	for tg.Polling() {
		if time.Now().After(deadline) {
			t.Fatal("the cancelled long poll is still open at the fake 5 s later")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
