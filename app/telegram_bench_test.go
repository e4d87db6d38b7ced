package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/memoria-app/memoria/app"
	"github.com/memoria-app/memoria/bot/telegramtest"
	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
)

// Benchmarks of the Telegram path, in process: the real App and the fake
// Bot API on loopback. Figures are reported as custom metrics; see
// docs/benchmarks.md.
//
//	go test ./app -run '^$' -bench Telegram -benchtime 1x

type tgBench struct {
	s     *testServer
	tg    *telegramtest.Server
	bot   *telegramtest.Bot
	admin string
	user  string
	from  telegramtest.User
}

func quietBot(cfg *app.Config) {
	fastBot(cfg)
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
}

func newTgBench(b *testing.B, token string) *tgBench {
	tg := telegramtest.NewServer()
	b.Cleanup(tg.Close)
	tb := &tgBench{tg: tg, bot: tg.AddBot(token, "bench_bot"), from: telegramtest.User{ID: 90001, FirstName: "Bench"}}
	tb.s = startServer(b, quietBot)
	_, tb.admin = tb.s.signUp("admin")
	_, tb.user = tb.s.createUser(tb.admin, "alice")
	tb.s.linkTelegram(tb.user, tb.from.ID)
	return tb
}

// drain starts the bot on the queued updates and reports updates/s.
func (tb *tgBench) drain(b *testing.B, token string, n int, last int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	before := tb.s.App.WriteStats()
	start := time.Now()
	tb.s.setToken(tb.admin, tb.tg.URL()+"/bot"+token)
	if err := tb.bot.WaitConfirmed(ctx, last); err != nil {
		b.Fatalf("confirmed %d of %d", tb.bot.Confirmed(), last)
	}
	el := time.Since(start)
	b.ReportMetric(float64(n)/el.Seconds(), "updates/s")
	b.ReportMetric(el.Seconds(), "s_total")
	reportWriteStats(b, tb.s, before)
}

// BenchmarkTelegramTextIngest: 10,000 queued text updates to committed memos.
func BenchmarkTelegramTextIngest(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		token := fmt.Sprintf("70000%05d:text_bench", i)
		tb := newTgBench(b, token)
		var last int64
		for j := 0; j < 10000; j++ {
			last = tb.bot.SendText(tb.from, fmt.Sprintf("text %d with **bold** and #tag", j)).UpdateID
		}
		b.StartTimer()
		tb.drain(b, token, 10000, last)
		b.StopTimer()
		tb.s.Stop()
	}
}

// BenchmarkTelegramPhotoIngest: 1,000 queued photo updates of 1 MiB each.
func BenchmarkTelegramPhotoIngest(b *testing.B) {
	img := make([]byte, 1<<20)
	for i := range img {
		img[i] = byte(i * 7)
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		token := fmt.Sprintf("71000%05d:photo_bench", i)
		tb := newTgBench(b, token)
		var last int64
		for j := 0; j < 1000; j++ {
			last = tb.bot.SendPhoto(tb.from, fmt.Sprintf("photo %d", j), nil, img, "").UpdateID
		}
		b.StartTimer()
		tb.drain(b, token, 1000, last)
		b.StopTimer()
		tb.s.Stop()
	}
}

// BenchmarkTelegramLatency: one message at a time while the bot is idle in
// its long poll; the time from enqueueing the update at the fake to the
// memo being readable through the rules (p50/p99 over 300 messages).
func BenchmarkTelegramLatency(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		token := fmt.Sprintf("72000%05d:latency", i)
		tb := newTgBench(b, token)
		tb.s.setToken(tb.admin, tb.tg.URL()+"/bot"+token)
		ctx := context.Background()
		if err := tb.bot.WaitPolling(ctx); err != nil {
			b.Fatal(err)
		}
		userClient := tb.s.as(tb.user)
		var lat []time.Duration
		for j := 0; j < 300; j++ {
			content := fmt.Sprintf("latency %d", j)
			start := time.Now()
			tb.bot.SendText(tb.from, content)
			for {
				resp, err := userClient.Memos.ListMemos(ctx, connect.NewRequest(&v1.ListMemosRequest{PageSize: 1}))
				if err != nil {
					b.Fatal(err)
				}
				if len(resp.Msg.Memos) == 1 && resp.Msg.Memos[0].Content == content {
					break
				}
			}
			lat = append(lat, time.Since(start))
			// Wait until the poller is idle again so each message is one batch.
			if err := tb.bot.WaitPolling(ctx); err != nil {
				b.Fatal(err)
			}
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
		tb.s.Stop()
	}
}

// BenchmarkTelegramTokenChange: from UpdateSystemSetting returning to the
// first getUpdates with the new token (p50/max over 50 switches between two
// bots).
func BenchmarkTelegramTokenChange(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		tokens := []string{fmt.Sprintf("73000%05d:switch_a", i), fmt.Sprintf("74000%05d:switch_b", i)}
		tb := newTgBench(b, tokens[0])
		bots := []*telegramtest.Bot{tb.bot, tb.tg.AddBot(tokens[1], "bench_bot_b")}
		tb.s.setToken(tb.admin, tb.tg.URL()+"/bot"+tokens[0])
		ctx := context.Background()
		if err := bots[0].WaitPolling(ctx); err != nil {
			b.Fatal(err)
		}
		var lat []time.Duration
		for j := 1; j <= 50; j++ {
			start := time.Now()
			tb.s.setToken(tb.admin, tb.tg.URL()+"/bot"+tokens[j%2])
			if err := bots[j%2].WaitPolling(ctx); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(start))
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
		b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max_ms")
		tb.s.Stop()
	}
}
