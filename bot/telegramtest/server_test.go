package telegramtest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

func TestGetMe(t *testing.T) {
	srv, _ := newTestServer(t)
	for name, apiURL := range map[string]string{
		"root":        srv.URL(),
		"proxy path":  srv.URL() + "/somepath",
		"deep prefix": srv.URL() + "/a/b/bot/c",
	} {
		t.Run(name, func(t *testing.T) {
			b := gotBot(t, apiURL, testToken)
			if b.Id != 123456 || b.Username != "memoria_bot" || !b.IsBot {
				t.Errorf("getMe = %+v", b.User)
			}
		})
	}
}

func TestUnknownTokenIsUnauthorized(t *testing.T) {
	srv, _ := newTestServer(t)
	_, err := gotgbot.NewBot("123456:wrong", &gotgbot.BotOpts{
		BotClient: &gotgbot.BaseBotClient{DefaultRequestOpts: &gotgbot.RequestOpts{APIURL: srv.URL()}},
	})
	if tgErr := telegramError(t, err); tgErr.Code != 401 || tgErr.Description != "Unauthorized" {
		t.Errorf("error = %d %q, want 401 Unauthorized", tgErr.Code, tgErr.Description)
	}
	status, body := do(t, "POST", srv.URL()+"/bot999:x/getMe", "", "")
	if status != http.StatusUnauthorized || body != `{"ok":false,"error_code":401,"description":"Unauthorized"}` {
		t.Errorf("raw answer = %d %s", status, body)
	}
}

func TestUnknownMethodAndPath(t *testing.T) {
	srv, _ := newTestServer(t)
	tests := map[string]string{
		"unknown method":    "/bot" + testToken + "/sendCarrierPigeon",
		"malformed token":   "/botnot-a-token/getMe",
		"no method":         "/bot" + testToken,
		"file without path": "/file/bot" + testToken + "/",
		"nothing":           "/",
	}
	for name, path := range tests {
		t.Run(name, func(t *testing.T) {
			status, body := do(t, "GET", srv.URL()+path, "", "")
			if status != http.StatusNotFound || body != `{"ok":false,"error_code":404,"description":"Not Found"}` {
				t.Errorf("%s = %d %s", path, status, body)
			}
		})
	}
}

func TestMethodNamesAreCaseInsensitive(t *testing.T) {
	srv, tg := newTestServer(t)
	status, body := do(t, "GET", srv.URL()+"/bot"+testToken+"/GETME", "", "")
	if status != 200 || !strings.Contains(body, `"username":"memoria_bot"`) {
		t.Fatalf("GETME = %d %s", status, body)
	}
	if calls := tg.Calls(); len(calls) != 1 || calls[0].Method != "getMe" {
		t.Errorf("recorded %+v, want one getMe", calls)
	}
}

func TestAddBotWithNewTokenRevokesTheOld(t *testing.T) {
	srv, tg := newTestServer(t)
	tg.SendText(ann, "kept")
	again := srv.AddBot("123456:newsecret", "")
	if again != tg {
		t.Fatal("a new token for the same bot id should give the same bot")
	}
	if status, _ := do(t, "GET", srv.URL()+"/bot"+testToken+"/getMe", "", ""); status != http.StatusUnauthorized {
		t.Errorf("old token: status %d, want 401", status)
	}
	b := gotBot(t, srv.URL(), "123456:newsecret")
	updates, err := b.GetUpdates(nil)
	if err != nil || len(updates) != 1 || updates[0].Message.Text != "kept" {
		t.Errorf("new token getUpdates = %+v, %v; want the update queued before", updates, err)
	}
	if b.Username != "memoria_bot" {
		t.Errorf("username = %q, want it kept", b.Username)
	}
}

func TestAddBotPanicsOnMalformedToken(t *testing.T) {
	srv, _ := newTestServer(t)
	defer func() {
		r := recover()
		if r == nil {
			t.Fatal("no panic")
		}
		if msg, _ := r.(string); strings.Contains(msg, "hunter2") {
			t.Errorf("panic message leaks the token: %s", msg)
		}
	}()
	srv.AddBot("http://proxy/bot1:hunter2", "x")
}

func TestServerBotLookup(t *testing.T) {
	srv, tg := newTestServer(t)
	if srv.Bot(123456) != tg || srv.Bot(1) != nil {
		t.Error("Bot(id) lookup is wrong")
	}
	if New().URL() != "" {
		t.Error("an unstarted server has a URL")
	}
}
