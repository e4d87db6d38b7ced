package bot

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/memoria-app/memoria/bot/telegramtest"
	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
)

// runningBot reports a running bot, so that the rules hand out link codes.
type runningBot string

func (b runningBot) Status() rules.BotStatus {
	return rules.BotStatus{State: rules.BotRunning, Username: string(b)}
}

// handleAll feeds raws to h as the poller does: each round from the
// offset the previous one confirmed, until every update is confirmed.
func handleAll(t *testing.T, h *batchHandler, raws []json.RawMessage) {
	t.Helper()
	for rounds := 0; len(raws) > 0; rounds++ {
		if rounds == len(raws)+1 {
			t.Fatalf("updates never confirmed: %d left", len(raws))
		}
		next, err := h.handle(context.Background(), raws)
		if err != nil {
			t.Fatal(err)
		}
		for len(raws) > 0 && decodeUpdate(raws[0]).updateID < next {
			raws = raws[1:]
		}
	}
}

// TestMessagesAfterALinkChange: a message that follows /start <code> or
// /unlink in the same batch is handled for the sender as linked (or
// unlinked) by that command, not as they were when the batch arrived.
func TestMessagesAfterALinkChange(t *testing.T) {
	tests := map[string]struct {
		linked   bool // the sender is linked before the batch
		command  func(e *batchEnv, t *testing.T) string
		wantMemo bool
	}{
		"start with a code, then a message": {
			command: func(e *batchEnv, t *testing.T) string {
				e.rules.AttachBot(runningBot(e.bot.User().Username))
				ctx := rules.WithActor(context.Background(), &rules.Actor{User: e.user, Source: store.SourceWeb})
				link, err := e.rules.CreateTelegramLink(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return "/start " + link.Code
			},
			wantMemo: true,
		},
		"unlink, then a message": {
			linked:  true,
			command: func(*batchEnv, *testing.T) string { return "/unlink" },
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			e := newBatchEnv(t, "9100000003:link_change", "link_bot")
			sender := e.linked
			if !tt.linked {
				sender = telegramtest.User{ID: 202, FirstName: "New"}
			}
			raws := []json.RawMessage{
				e.bot.SendText(sender, tt.command(e, t)).Raw,
				e.bot.SendText(sender, "right after the command").Raw,
			}
			handleAll(t, e.handler(e.rules), raws)
			memos, err := e.db.ListMemos(ctx, store.MemoQuery{CreatorID: e.user.ID, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			saved := len(memos) == 1 && strings.Contains(memos[0].Content, "right after the command")
			if saved != tt.wantMemo || len(memos) > 1 {
				t.Fatalf("memos of the user = %v, want the message saved: %v", memos, tt.wantMemo)
			}
		})
	}
}
