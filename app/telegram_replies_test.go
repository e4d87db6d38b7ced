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

// TestTelegramIngestionNeverWaitsForReplies: with every sendMessage held
// by Telegram for a minute, all the messages are still stored — replies
// are queued, never awaited by ingestion.
func TestTelegramIngestionNeverWaitsForReplies(t *testing.T) {
	tg := telegramtest.NewServer()
	defer tg.Close()
	const token = "8100000002:held"
	tgBot := tg.AddBot(token, "held_bot")
	tgBot.FailNext(1000, telegramtest.Fault{Kind: telegramtest.FaultDelay, Delay: time.Minute, Methods: []string{"sendMessage"}})
	s := startServer(t, fastBot)
	_, admin := s.signUp("admin")
	_, user := s.createUser(admin, "lin")
	linked := telegramtest.User{ID: 444002, FirstName: "Lin"}
	s.linkTelegram(user, linked.ID)
	stranger := telegramtest.User{ID: 444103, FirstName: "C"}
	for i := 0; i < 30; i++ {
		tgBot.SendText(stranger, fmt.Sprintf("hello %d", i))
		tgBot.SendText(linked, fmt.Sprintf("burst %d", i))
	}
	s.setToken(admin, tg.URL()+"/bot"+token)
	// waitMemos gives up after 10 s, long before the first held reply
	// (a minute) could have been answered.
	s.waitMemos(user, 30)
	// The replies were queued meanwhile: the sender's first one reaches
	// Telegram (and is held there) — else the test proved nothing.
	eventually(t, 5*time.Second, "a reply attempted", func() bool { return len(tgBot.SentMethod("sendMessage")) > 0 })
}

// TestTelegramRepliesArePaced: replies keep a minimum spacing per chat and
// overall, and bursts of confirmations merge.
func TestTelegramRepliesArePaced(t *testing.T) {
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
	s.setToken(admin, tg.URL()+"/bot"+token)
	s.waitMemos(user, 30)

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
