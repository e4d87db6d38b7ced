package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

func TestUndeliverable(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for name, tt := range map[string]struct {
		info gotgbot.WebhookInfo
		bad  bool
	}{
		"healthy":                    {gotgbot.WebhookInfo{Url: "https://m.example/telegram/webhook"}, false},
		"waiting, no error":          {gotgbot.WebhookInfo{PendingUpdateCount: 3}, false},
		"an old error, now flowing":  {gotgbot.WebhookInfo{LastErrorDate: now.Unix() - 5, LastErrorMessage: "Wrong response from the webhook: 502 Bad Gateway"}, false},
		"waiting after an old error": {gotgbot.WebhookInfo{PendingUpdateCount: 2, LastErrorDate: now.Unix() - 3600, LastErrorMessage: "timeout"}, false},
		"waiting, failing now":       {gotgbot.WebhookInfo{Url: "https://m.example/telegram/webhook", PendingUpdateCount: 2, LastErrorDate: now.Unix() - 1, LastErrorMessage: "Connection refused"}, true},
	} {
		t.Run(name, func(t *testing.T) {
			msg := undeliverable(&tt.info, now, 50*time.Millisecond)
			if (msg != "") != tt.bad {
				t.Fatalf("undeliverable = %q, want bad=%v", msg, tt.bad)
			}
			if tt.bad && (!strings.Contains(msg, tt.info.LastErrorMessage) || !strings.Contains(msg, tt.info.Url)) {
				t.Errorf("message %q does not give Telegram's reason and the URL", msg)
			}
		})
	}
}
