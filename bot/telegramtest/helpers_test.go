package telegramtest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

const testToken = "123456:AAFD39kkdpWt3ywyRZergyOLMaJhac60qc"

var ann = User{ID: 42, FirstName: "Ann", Username: "ann"}

// newTestServer starts a fake server with one bot, closed at the end of
// the test.
func newTestServer(t *testing.T) (*Server, *Bot) {
	t.Helper()
	srv := NewServer()
	t.Cleanup(srv.Close)
	return srv, srv.AddBot(testToken, "memoria_bot")
}

// gotBot returns a gotgbot client of the fake, at apiURL (the server's URL,
// maybe with a proxy prefix). NewBot calls getMe.
func gotBot(t *testing.T, apiURL, token string) *gotgbot.Bot {
	t.Helper()
	b, err := gotgbot.NewBot(token, &gotgbot.BotOpts{
		BotClient: &gotgbot.BaseBotClient{
			Client:             http.Client{Transport: &http.Transport{}},
			DefaultRequestOpts: &gotgbot.RequestOpts{APIURL: apiURL, Timeout: 10 * time.Second},
		},
	})
	if err != nil {
		t.Fatalf("gotgbot.NewBot: %v", err)
	}
	return b
}

// testContext is a context that ends before the test's deadline.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// poll calls getUpdates with a long-poll timeout in seconds.
func poll(ctx context.Context, b *gotgbot.Bot, offset, timeout int64) ([]gotgbot.Update, error) {
	return b.GetUpdatesWithContext(ctx, &gotgbot.GetUpdatesOpts{
		Offset: offset, Timeout: timeout,
		RequestOpts: &gotgbot.RequestOpts{Timeout: time.Duration(timeout+10) * time.Second},
	})
}

// telegramError returns err's Telegram error, failing the test if it has none.
func telegramError(t *testing.T, err error) *gotgbot.TelegramError {
	t.Helper()
	var tgErr *gotgbot.TelegramError
	if !errors.As(err, &tgErr) {
		t.Fatalf("error %v is not a Telegram error", err)
	}
	return tgErr
}

// do sends a raw request and returns the status and body.
func do(t *testing.T, method, url, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
