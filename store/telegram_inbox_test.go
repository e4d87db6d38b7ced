package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/memoria-app/memoria/store"
	"github.com/memoria-app/memoria/store/storetest"
)

func TestTelegramInbox(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	wake := db.WatchTelegramInbox(ctx)
	// On PostgreSQL a wake-up also comes through the change log (any
	// process may have appended), later and maybe in addition to this
	// process's own: wait for it, then let extra ones pass. A spurious
	// wake-up costs the consumer one empty read; a missing one would
	// stall it, and that is what this checks.
	onPG := storetest.OnPostgres(t)
	woken := func() bool {
		if !onPG {
			select {
			case <-wake:
				return true
			default:
				return false
			}
		}
		select {
		case <-wake:
			time.Sleep(100 * time.Millisecond)
			select {
			case <-wake:
			default:
			}
			return true
		case <-time.After(2 * time.Second):
			return false
		}
	}
	// Out of order, a redelivery, and another bot's update.
	for _, a := range []struct {
		bot, id int64
		body    string
		added   bool
	}{
		{1, 12, "u12", true},
		{1, 10, "u10", true},
		{1, 12, "u12 again", false},
		{2, 11, "other bot", true},
		{1, 11, "u11", true},
	} {
		added, err := db.AppendTelegramUpdate(ctx, a.bot, a.id, []byte(a.body))
		if err != nil || added != a.added {
			t.Fatalf("append %d/%d = %v, %v; want %v", a.bot, a.id, added, err, a.added)
		}
		if a.added && !woken() || !a.added && !onPG && woken() {
			t.Errorf("append %d/%d: woken = %v, want %v", a.bot, a.id, !a.added, a.added)
		}
	}
	pending := func(bot int64, limit int) string {
		t.Helper()
		ups, err := db.PendingTelegramUpdates(ctx, bot, limit)
		if err != nil {
			t.Fatal(err)
		}
		s := ""
		for _, u := range ups {
			s += string(u.Body) + " "
		}
		return s
	}
	if got := pending(1, 100); got != "u10 u11 u12 " {
		t.Fatalf("pending = %q, want update_id order, the first body kept", got)
	}
	if got := pending(1, 2); got != "u10 u11 " {
		t.Fatalf("pending limit 2 = %q", got)
	}
	if err := db.MarkTelegramUpdatesDone(ctx, 1, []int64{10, 11}); err != nil {
		t.Fatal(err)
	}
	if got := pending(1, 100); got != "u12 " {
		t.Fatalf("after marking 10 and 11 done: %q", got)
	}
	if got := pending(2, 100); got != "other bot " {
		t.Fatalf("the other bot's inbox = %q", got)
	}
	// A handled update delivered again is still recognised.
	if added, err := db.AppendTelegramUpdate(ctx, 1, 10, []byte("u10 again")); added || err != nil {
		t.Fatalf("redelivery of a handled update = %v, %v", added, err)
	}
	// Pruning removes handled updates only.
	n, err := db.PruneTelegramInbox(ctx, time.Now().Add(time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("prune = %d, %v; want the 2 handled updates", n, err)
	}
	if got := pending(1, 100); got != "u12 " {
		t.Fatalf("after pruning: %q", got)
	}
}

func TestTelegramWebhookRow(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	if _, err := db.GetTelegramWebhook(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no webhook: err = %v, want ErrNotFound", err)
	}
	for _, w := range []store.TelegramWebhook{
		{BotID: 1, TokenHash: []byte("h1"), Secret: "s1"},
		{BotID: 2, TokenHash: []byte("h2"), Secret: "s2"},
	} {
		if err := db.SetTelegramWebhook(ctx, w); err != nil {
			t.Fatal(err)
		}
		got, err := db.GetTelegramWebhook(ctx)
		if err != nil || got.BotID != w.BotID || string(got.TokenHash) != string(w.TokenHash) || got.Secret != w.Secret {
			t.Fatalf("webhook = %+v, %v; want %+v", got, err, w)
		}
	}
	if err := db.DeleteTelegramWebhook(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetTelegramWebhook(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after delete: err = %v, want ErrNotFound", err)
	}
}
