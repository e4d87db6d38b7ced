package telegramtest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

// control calls the control API and decodes the answer into out (if not nil).
func control(t *testing.T, srv *Server, method, path, body string, wantStatus int, out any) {
	t.Helper()
	status, resp := do(t, method, srv.URL()+path, "application/json", body)
	if status != wantStatus {
		t.Fatalf("%s %s = %d %s, want %d", method, path, status, resp, wantStatus)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(resp), out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, resp)
		}
	}
}

func TestControlAPI(t *testing.T) {
	srv := NewServer()
	t.Cleanup(srv.Close)

	var st botStatus
	control(t, srv, "POST", "/_fake/bots", `{"token": "`+testToken+`", "username": "memoria_bot"}`, http.StatusCreated, &st)
	if st.ID != 123456 || st.Username != "memoria_bot" {
		t.Fatalf("created %+v", st)
	}
	b := gotBot(t, srv.URL()+"/somepath", testToken) // as memoria would, through a proxy URL

	var text updateResponse
	control(t, srv, "POST", "/_fake/bots/123456/updates",
		`{"type": "text", "from": {"id": 42, "first_name": "Ann"}, "text": "hi", "entities": [{"type": "bold", "offset": 0, "length": 2}]}`,
		http.StatusOK, &text)
	photo := bytes.Repeat([]byte{0xff, 0xd8, 0xff}, 100)
	var ph updateResponse
	control(t, srv, "POST", "/_fake/bots/123456/updates",
		`{"type": "photo", "from": {"id": 42, "first_name": "Ann"}, "caption": "cap", "media_group_id": "g1",
		  "order": "largest_in_middle", "data": "`+base64.StdEncoding.EncodeToString(photo)+`"}`,
		http.StatusOK, &ph)
	var doc updateResponse
	control(t, srv, "POST", "/_fake/bots/123456/updates",
		`{"type": "document", "from": {"id": 42, "first_name": "Ann"}, "data": "aGVsbG8=", "file_name": "a.txt", "mime_type": "text/plain"}`,
		http.StatusOK, &doc)
	var raw updateResponse
	control(t, srv, "POST", "/_fake/bots/123456/updates", `{"type": "raw", "update": {"message_reaction": {"x": 1}}}`, http.StatusOK, &raw)
	if ph.UpdateID != text.UpdateID+1 || raw.UpdateID != doc.UpdateID+1 || text.MessageID == 0 {
		t.Errorf("update ids %d %d %d %d", text.UpdateID, ph.UpdateID, doc.UpdateID, raw.UpdateID)
	}

	updates, err := poll(testContext(t), b, 0, 0)
	if err != nil || len(updates) != 4 {
		t.Fatalf("getUpdates = %d, %v", len(updates), err)
	}
	if m := updates[0].Message; m.Text != "hi" || len(m.Entities) != 1 {
		t.Errorf("text = %+v", m)
	}
	if m := updates[1].Message; m.Caption != "cap" || m.MediaGroupId != "g1" || len(m.Photo) != 3 || m.Photo[1].Width != 1280 {
		t.Errorf("photo = %+v", m)
	} else if got := download(t, b, m.Photo[1].FileId); !bytes.Equal(got, photo) {
		t.Errorf("photo bytes = %d", len(got))
	}
	if d := updates[2].Message.Document; d == nil || d.FileName != "a.txt" || string(download(t, b, d.FileId)) != "hello" {
		t.Errorf("document = %+v", d)
	}

	if _, err := b.SendMessage(42, "your id is 42", nil); err != nil {
		t.Fatal(err)
	}
	var sent []callJSON
	control(t, srv, "GET", "/_fake/bots/123456/sent?method=sendMessage&min=1&timeout=5s", "", http.StatusOK, &sent)
	if len(sent) != 1 || sent[0].Params["text"] != "your id is 42" || sent[0].Params["chat_id"] != "42" {
		t.Errorf("sent = %+v", sent)
	}
	var none []callJSON
	control(t, srv, "GET", "/_fake/bots/123456/sent?method=setMessageReaction", "", http.StatusOK, &none)
	if len(none) != 0 {
		t.Errorf("filtered sent = %+v", none)
	}
	var calls []callJSON
	control(t, srv, "GET", "/_fake/bots/123456/calls?method=getUpdates", "", http.StatusOK, &calls)
	if len(calls) != 1 || calls[0].HTTPMethod != "POST" {
		t.Errorf("calls = %+v", calls)
	}

	control(t, srv, "GET", "/_fake/bots/123456", "", http.StatusOK, &st)
	if st.PendingUpdates != 4 || st.NextUpdateID != raw.UpdateID+1 || st.Polling {
		t.Errorf("status = %+v", st)
	}
	var list []botStatus
	control(t, srv, "GET", "/_fake/bots", "", http.StatusOK, &list)
	if len(list) != 1 || list[0].ID != 123456 {
		t.Errorf("list = %+v", list)
	}
}

func TestControlFaultsAndFiles(t *testing.T) {
	srv, tg := newTestServer(t)
	control(t, srv, "POST", "/_fake/bots/123456/faults",
		`{"next": 2, "fault": {"kind": "429", "retry_after": 3, "methods": ["getMe"]}}`, http.StatusNoContent, nil)
	for range 2 {
		if status, body := do(t, "GET", srv.URL()+"/bot"+testToken+"/getMe", "", ""); status != 429 || !strings.Contains(body, `"retry_after":3`) {
			t.Errorf("getMe = %d %s", status, body)
		}
	}
	if status, _ := do(t, "GET", srv.URL()+"/bot"+testToken+"/getMe", "", ""); status != 200 {
		t.Errorf("third getMe = %d", status)
	}
	control(t, srv, "POST", "/_fake/bots/123456/faults", `{"rate": 1, "seed": 3, "faults": [{"kind": "502", "methods": ["download"]}]}`, http.StatusNoContent, nil)
	var file map[string]string
	control(t, srv, "POST", "/_fake/bots/123456/files", `{"data": "aGk=", "name": "x.txt"}`, http.StatusOK, &file)
	b := gotBot(t, srv.URL(), testToken)
	f, err := b.GetFile(file["file_id"], nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(f.URL(b, nil))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 502 {
		t.Errorf("download under rate 1 = %d", resp.StatusCode)
	}
	control(t, srv, "DELETE", "/_fake/bots/123456/faults", "", http.StatusNoContent, nil)
	if got := download(t, b, file["file_id"]); string(got) != "hi" {
		t.Errorf("download after clearing = %q", got)
	}
	if calls := tg.Calls(); calls[0].Fault != FaultTooManyRequests {
		t.Errorf("first call's fault = %v", calls[0].Fault)
	}
}

func TestControlErrors(t *testing.T) {
	srv, _ := newTestServer(t)
	tests := map[string]struct {
		method, path, body string
		status             int
	}{
		"bad token":          {"POST", "/_fake/bots", `{"token": "nope"}`, 400},
		"unknown field":      {"POST", "/_fake/bots", `{"token": "1:a", "name": "x"}`, 400},
		"unknown bot":        {"GET", "/_fake/bots/1", "", 404},
		"bot id not numeric": {"GET", "/_fake/bots/abc/sent", "", 400},
		"no from":            {"POST", "/_fake/bots/123456/updates", `{"type": "text", "text": "x"}`, 400},
		"unknown type":       {"POST", "/_fake/bots/123456/updates", `{"type": "hologram", "from": {"id": 1}}`, 400},
		"raw not an object":  {"POST", "/_fake/bots/123456/updates", `{"type": "raw", "update": [1]}`, 400},
		"forward no origin":  {"POST", "/_fake/bots/123456/updates", `{"type": "forward", "from": {"id": 1}, "text": "x"}`, 400},
		"bad photo order":    {"POST", "/_fake/bots/123456/updates", `{"type": "photo", "from": {"id": 1}, "order": "random"}`, 400},
		"bad fault kind":     {"POST", "/_fake/bots/123456/faults", `{"fault": {"kind": "418"}}`, 400},
		"bad min":            {"GET", "/_fake/bots/123456/sent?min=x", "", 400},
		"bad timeout":        {"GET", "/_fake/bots/123456/sent?min=1&timeout=soon", "", 400},
		"no such route":      {"GET", "/_fake/nothing", "", 404},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			status, body := do(t, tt.method, srv.URL()+tt.path, "application/json", tt.body)
			if status != tt.status {
				t.Errorf("= %d %s, want %d", status, body, tt.status)
			}
			if status != 404 || strings.HasPrefix(tt.path, "/_fake/bots") {
				if !strings.Contains(body, `"error":`) {
					t.Errorf("body %s has no error", body)
				}
			}
		})
	}
}

// TestControlSentWaits checks that ?min= waits for calls, up to the
// timeout. (That a new call wakes the wait is WaitSent's mechanism, tested
// in TestWaitSent.)
func TestControlSentWaits(t *testing.T) {
	srv, tg := newTestServer(t)
	b := gotBot(t, srv.URL(), testToken)
	tg.SendText(ann, "hi")
	if _, err := b.SendMessage(ann.ID, "one", nil); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var sent []callJSON
	control(t, srv, "GET", "/_fake/bots/123456/sent?min=2&timeout=300ms", "", http.StatusOK, &sent)
	if elapsed := time.Since(start); elapsed < 300*time.Millisecond || len(sent) != 1 {
		t.Errorf("min=2 with one call answered after %v with %d calls; want the timeout and 1", elapsed, len(sent))
	}
	start = time.Now()
	control(t, srv, "GET", "/_fake/bots/123456/sent?min=1&timeout=10s", "", http.StatusOK, &sent)
	if elapsed := time.Since(start); elapsed > 5*time.Second || len(sent) != 1 {
		t.Errorf("min=1 with one call answered after %v", elapsed)
	}
}

// TestControlChatUpdates: replies, edits and button presses through the
// control API, on messages the fake knows (the user's own, the bot's).
func TestControlChatUpdates(t *testing.T) {
	srv := NewServer()
	t.Cleanup(srv.Close)
	control(t, srv, "POST", "/_fake/bots", `{"token": "`+testToken+`", "username": "memoria_bot"}`, http.StatusCreated, nil)
	b := gotBot(t, srv.URL(), testToken)
	var text updateResponse
	control(t, srv, "POST", "/_fake/bots/123456/updates", `{"type": "text", "from": {"id": 42, "first_name": "Ann"}, "text": "buy milk"}`, http.StatusOK, &text)
	kb := gotgbot.InlineKeyboardMarkup{InlineKeyboard: [][]gotgbot.InlineKeyboardButton{{{Text: "✓ Private", CallbackData: "1:v:p:7"}, {Text: "Pin", CallbackData: "1:pin:7"}}}}
	sent, err := b.SendMessageWithContext(testContext(t), 42, "✅ Saved", &gotgbot.SendMessageOpts{ReplyMarkup: kb})
	if err != nil {
		t.Fatal(err)
	}
	var reply, edit, press, forged updateResponse
	control(t, srv, "POST", "/_fake/bots/123456/updates", fmt.Sprintf(`{"type": "reply", "from": {"id": 42, "first_name": "Ann"}, "message_id": %d, "text": "and eggs"}`, sent.MessageId), http.StatusOK, &reply)
	control(t, srv, "POST", "/_fake/bots/123456/updates", fmt.Sprintf(`{"type": "edit", "from": {"id": 42, "first_name": "Ann"}, "message_id": %d, "text": "buy oat milk"}`, text.MessageID), http.StatusOK, &edit)
	control(t, srv, "POST", "/_fake/bots/123456/updates", fmt.Sprintf(`{"type": "press", "from": {"id": 42, "first_name": "Ann"}, "message_id": %d, "label": "Pin"}`, sent.MessageId), http.StatusOK, &press)
	control(t, srv, "POST", "/_fake/bots/123456/updates", fmt.Sprintf(`{"type": "press", "from": {"id": 42, "first_name": "Ann"}, "message_id": %d, "callback_data": "garbage"}`, sent.MessageId), http.StatusOK, &forged)
	control(t, srv, "POST", "/_fake/bots/123456/updates", fmt.Sprintf(`{"type": "press", "from": {"id": 42, "first_name": "Ann"}, "message_id": %d, "label": "Delete"}`, sent.MessageId), http.StatusBadRequest, nil)
	control(t, srv, "POST", "/_fake/bots/123456/updates", `{"type": "reply", "from": {"id": 42, "first_name": "Ann"}, "message_id": 999, "text": "?"}`, http.StatusNotFound, nil)

	updates, err := poll(testContext(t), b, text.UpdateID+1, 0)
	if err != nil || len(updates) != 4 {
		t.Fatalf("getUpdates = %d updates, %v; want 4", len(updates), err)
	}
	if m := updates[0].Message; m == nil || m.Text != "and eggs" || m.ReplyToMessage == nil || m.ReplyToMessage.MessageId != sent.MessageId {
		t.Errorf("reply = %+v", updates[0].Message)
	}
	if e := updates[1].EditedMessage; e == nil || e.MessageId != text.MessageID || e.Text != "buy oat milk" || e.EditDate == 0 {
		t.Errorf("edit = %+v", updates[1].EditedMessage)
	}
	if q := updates[2].CallbackQuery; q == nil || q.Data != "1:pin:7" || q.From.Id != 42 {
		t.Errorf("press = %+v", updates[2].CallbackQuery)
	}
	if q := updates[3].CallbackQuery; q == nil || q.Data != "garbage" {
		t.Errorf("forged press = %+v", updates[3].CallbackQuery)
	}
}
