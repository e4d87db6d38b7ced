package telegramtest

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

// TestRequestEncodings sends the same call in every encoding the Bot API
// accepts and checks that the fake reads the same parameters.
func TestRequestEncodings(t *testing.T) {
	srv, tg := newTestServer(t)
	tg.SendText(ann, "hi") // makes the chat known
	url := srv.URL() + "/bot" + testToken + "/sendMessage"

	var multi bytes.Buffer
	mw := multipart.NewWriter(&multi)
	mw.WriteField("chat_id", "42")
	mw.WriteField("text", "héllo & bye")
	mw.WriteField("entities", `[{"type":"bold","offset":0,"length":5}]`)
	fw, _ := mw.CreateFormFile("document", "a.txt")
	fw.Write([]byte("file body"))
	mw.Close()

	tests := map[string]struct {
		method, url, contentType, body string
		wantType                       string
	}{
		"json": {"POST", url, "application/json; charset=utf-8",
			`{"chat_id": 42, "text": "héllo & bye", "entities": [{"type": "bold", "offset": 0, "length": 5}], "nothing": null}`,
			"application/json"},
		"form": {"POST", url, "application/x-www-form-urlencoded",
			"chat_id=42&text=h%C3%A9llo+%26+bye&entities=%5B%7B%22type%22%3A%22bold%22%2C%22offset%22%3A0%2C%22length%22%3A5%7D%5D",
			"application/x-www-form-urlencoded"},
		"multipart": {"POST", url, mw.FormDataContentType(), multi.String(), "multipart/form-data"},
		"query": {"GET", url + "?chat_id=42&text=h%C3%A9llo+%26+bye&entities=%5B%7B%22type%22%3A%22bold%22%2C%22offset%22%3A0%2C%22length%22%3A5%7D%5D",
			"", "", ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			before := len(tg.Calls())
			status, body := do(t, tt.method, tt.url, tt.contentType, tt.body)
			if status != 200 {
				t.Fatalf("status %d: %s", status, body)
			}
			var resp struct {
				Result Message `json:"result"`
			}
			if err := json.Unmarshal([]byte(body), &resp); err != nil || resp.Result.Text != "héllo & bye" || len(resp.Result.Entities) != 1 {
				t.Errorf("answer = %s", body)
			}
			call := tg.Calls()[before]
			if call.Method != "sendMessage" || call.ContentType != tt.wantType || call.HTTPMethod != tt.method {
				t.Errorf("call = %+v", call)
			}
			if call.Param("chat_id") != "42" || call.Param("text") != "héllo & bye" {
				t.Errorf("params = %v", call.Params)
			}
			var entities []gotgbot.MessageEntity
			if err := call.JSONParam("entities", &entities); err != nil || len(entities) != 1 || entities[0].Length != 5 {
				t.Errorf("entities param = %q (%v)", call.Param("entities"), err)
			}
			if _, ok := call.Params["nothing"]; ok {
				t.Error("a JSON null became a parameter")
			}
			if name == "multipart" {
				if f := call.Files["document"]; f.Name != "a.txt" || string(f.Data) != "file body" {
					t.Errorf("file part = %+v", f)
				}
			}
		})
	}
}

// TestGotgbotSendsMultipart checks what gotgbot rc.36 sends (multipart for
// every call) and that the fake reads it.
func TestGotgbotSendsMultipart(t *testing.T) {
	srv, tg := newTestServer(t)
	b := gotBot(t, srv.URL(), testToken)
	u := tg.SendText(ann, "hi")
	_, err := b.SendMessage(ann.ID, "reply", &gotgbot.SendMessageOpts{
		ReplyParameters: &gotgbot.ReplyParameters{MessageId: u.Message.MessageID},
	})
	if err != nil {
		t.Fatal(err)
	}
	sent := tg.SentMethod("sendMessage")
	if len(sent) != 1 {
		t.Fatalf("sent = %+v", sent)
	}
	c := sent[0]
	if c.ContentType != "multipart/form-data" || c.Param("chat_id") != "42" || c.Param("text") != "reply" {
		t.Errorf("call = %+v", c)
	}
	var rp struct {
		MessageID int64 `json:"message_id"`
	}
	if err := c.JSONParam("reply_parameters", &rp); err != nil || rp.MessageID != u.Message.MessageID {
		t.Errorf("reply_parameters = %q", c.Param("reply_parameters"))
	}
}

func TestMalformedBodies(t *testing.T) {
	srv, _ := newTestServer(t)
	url := srv.URL() + "/bot" + testToken + "/getMe"
	tests := map[string]struct{ contentType, body string }{
		"broken JSON":             {"application/json", `{"chat_id": `},
		"JSON array":              {"application/json", `[1, 2]`},
		"multipart, no boundary":  {"multipart/form-data", "x"},
		"multipart, broken parts": {"multipart/form-data; boundary=zz", "--zz\r\nbroken"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			status, body := do(t, "POST", url, tt.contentType, tt.body)
			if status != http.StatusBadRequest || !strings.Contains(body, `"description":"Bad Request: `) {
				t.Errorf("%d %s", status, body)
			}
		})
	}
	if status, _ := do(t, "POST", url, "text/plain", "whatever"); status != 200 {
		t.Errorf("an unreadable body type should be ignored, got %d", status)
	}
}
