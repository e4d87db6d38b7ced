package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/memoria-app/memoria/bot/telegramtest"
)

// Chat latency on the fake Bot API, in process (see docs/benchmarks.md):
//
//	go test ./app -run '^$' -bench TelegramChat -benchtime 1x

const chatRounds = 300

// latencies reports p50 and p99 of ds as custom metrics.
func latencies(b *testing.B, ds []time.Duration) {
	slices.Sort(ds)
	p := func(q float64) float64 { return float64(ds[int(q*float64(len(ds)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(p(0.50), "p50_ms")
	b.ReportMetric(p(0.99), "p99_ms")
	b.ReportMetric(float64(ds[len(ds)-1])/float64(time.Millisecond), "max_ms")
}

// waitCall waits for the first call matching pick from index from on.
func waitCall(b *testing.B, bot *telegramtest.Bot, pick func(telegramtest.Call) bool) telegramtest.Call {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var found telegramtest.Call
	if _, err := bot.WaitCalls(ctx, func(cs []telegramtest.Call) bool {
		for i := len(cs) - 1; i >= 0; i-- {
			if pick(cs[i]) {
				found = cs[i]
				return true
			}
		}
		return false
	}); err != nil {
		b.Fatal("no such call")
	}
	return found
}

func replyID(c telegramtest.Call) int64 {
	var rp struct {
		MessageID int64 `json:"message_id"`
	}
	_ = json.Unmarshal([]byte(c.Param("reply_parameters")), &rp)
	return rp.MessageID
}

// BenchmarkTelegramChatCommandReply: update enqueued → the bot's reply to
// the command (/recent, which reads the database) reaches the fake.
func BenchmarkTelegramChatCommandReply(b *testing.B) {
	for i := 0; i < b.N; i++ {
		cs := startChatBench(b, fmt.Sprintf("83000%05d:cmd_bench", i))
		for j := 0; j < 50; j++ {
			cs.bot.SendText(cs.from, fmt.Sprintf("memo %d #bench", j))
		}
		var ds []time.Duration
		for j := 0; j < chatRounds; j++ {
			start := time.Now()
			u := cs.bot.SendText(cs.from, "/recent 5")
			c := waitCall(b, cs.bot, func(c telegramtest.Call) bool {
				return c.Method == "sendMessage" && replyID(c) == u.Message.MessageID
			})
			ds = append(ds, c.Time.Sub(start))
		}
		latencies(b, ds)
		cs.s.Stop()
	}
}

// BenchmarkTelegramChatCallbackAnswer: a button press enqueued → its
// answerCallbackQuery reaches the fake (the memo is updated first).
func BenchmarkTelegramChatCallbackAnswer(b *testing.B) {
	for i := 0; i < b.N; i++ {
		cs := startChatBench(b, fmt.Sprintf("84000%05d:cb_bench", i))
		u := cs.bot.SendText(cs.from, "press me")
		conf := waitCall(b, cs.bot, func(c telegramtest.Call) bool {
			return c.Method == "sendMessage" && replyID(c) == u.Message.MessageID
		})
		_ = conf
		var msg *telegramtest.Message
		eventually(b, 5*time.Second, "confirmation", func() bool {
			rs := cs.bot.Replies(cs.from.ID, u.Message.MessageID)
			if len(rs) > 0 {
				msg = &rs[0]
			}
			return msg != nil
		})
		var ds []time.Duration
		for j := 0; j < chatRounds; j++ {
			label := []string{"Pin", "Unpin"}[j%2]
			start := time.Now()
			p := cs.bot.Press(cs.from, msg, label)
			c := waitCall(b, cs.bot, func(c telegramtest.Call) bool {
				return c.Method == "answerCallbackQuery" && c.Param("callback_query_id") == p.CallbackQuery.ID
			})
			ds = append(ds, c.Time.Sub(start))
			// The next press needs the edited keyboard.
			eventually(b, 5*time.Second, "confirmation edited", func() bool {
				_, ok := cs.bot.Message(msg.Chat.ID, msg.MessageID).ReplyMarkup.Button([]string{"Unpin", "Pin"}[j%2])
				return ok
			})
		}
		latencies(b, ds)
		cs.s.Stop()
	}
}

func startChatBench(b *testing.B, token string) *tgBench {
	tb := newTgBench(b, token)
	tb.s.setToken(tb.admin, tb.tg.URL()+"/bot"+token)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tb.bot.WaitPolling(ctx); err != nil {
		b.Fatal("bot not polling")
	}
	return tb
}
