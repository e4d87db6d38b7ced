package app_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/memoria-app/memoria/app"
	"github.com/memoria-app/memoria/bot/telegramtest"
)

// TestTelegramRepliesArePacedAndNeverSlowIngestion: replies keep a minimum
// spacing per chat and overall, bursts of confirmations merge, and the
// memos are stored long before the replies are all out.
func TestTelegramRepliesArePacedAndNeverSlowIngestion(t *testing.T) {
	const perChat, overall = 300 * time.Millisecond, 100 * time.Millisecond
	tg := telegramtest.NewServer()
	defer tg.Close()
	const token = "8100000001:pacing"
	tgBot := tg.AddBot(token, "pacing_bot")
	s := startServer(t, fastBot, func(cfg *app.Config) {
		cfg.Bot.SendInterval, cfg.Bot.SendGlobalInterval = perChat, overall
	})
	_, admin := s.signUp("admin")
	_, user := s.createUser(admin, "lin")
	linked := telegramtest.User{ID: 444001, FirstName: "Lin"}
	s.linkTelegram(user, linked.ID)
	strangers := []telegramtest.User{{ID: 444101, FirstName: "A"}, {ID: 444102, FirstName: "B"}}
	for i := 0; i < 3; i++ {
		for _, st := range strangers {
			tgBot.SendText(st, fmt.Sprintf("hello %d", i))
		}
	}
	for i := 0; i < 30; i++ {
		tgBot.SendText(linked, fmt.Sprintf("burst %d", i))
	}
	start := time.Now()
	s.setToken(admin, tg.URL()+"/bot"+token)
	s.waitMemos(user, 30)
	stored := time.Since(start)

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	calls, err := tgBot.WaitCalls(ctx, func(cs []telegramtest.Call) bool {
		n := 0
		for _, c := range cs {
			if c.Method == "sendMessage" && c.Param("chat_id") != fmt.Sprint(linked.ID) {
				n++
			}
		}
		return n >= 6
	})
	if err != nil {
		t.Fatal("the strangers did not get their six replies")
	}
	time.Sleep(2 * perChat) // let any trailing confirmation go out
	calls = tgBot.SentMethod("sendMessage")
	repliesDone := calls[len(calls)-1].Time.Sub(start)
	t.Logf("30 memos stored after %v; %d replies out after %v", stored, len(calls), repliesDone)
	if stored > repliesDone {
		t.Fatalf("ingestion (%v) waited for the replies (%v)", stored, repliesDone)
	}
	byChat := map[string][]time.Time{}
	var all []time.Time
	for _, c := range calls {
		byChat[c.Param("chat_id")] = append(byChat[c.Param("chat_id")], c.Time)
		all = append(all, c.Time)
	}
	const slack = 20 * time.Millisecond
	for chat, ts := range byChat {
		for i := 1; i < len(ts); i++ {
			if gap := ts[i].Sub(ts[i-1]); gap < perChat-slack {
				t.Errorf("chat %s: replies %v apart, want ≥ %v", chat, gap, perChat)
			}
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Before(all[j]) })
	for i := 1; i < len(all); i++ {
		if gap := all[i].Sub(all[i-1]); gap < overall-slack {
			t.Errorf("replies %v apart overall, want ≥ %v", gap, overall)
		}
	}
	if n := len(byChat[fmt.Sprint(linked.ID)]); n == 0 || n > 5 {
		t.Fatalf("the linked user got %d confirmations for 30 messages; want a few merged ones", n)
	}
}
