package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/memoria-app/memoria/store"
	"github.com/memoria-app/memoria/store/storetest"
)

func TestNotifyOutboxTakesOnlyChangesThatMayNeedANotice(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	u := mustUser(t, db, "u")
	plain := mustMemo(t, db, u.ID, "nothing to tell", false)
	mention := mustMemo(t, db, u.ID, "hi @bob", false)
	pub := store.Memo{CreatorID: u.ID, Content: "for all", Visibility: store.VisibilityPublic, Source: store.SourceAPI}
	if err := db.CreateMemo(ctx, &pub, nil); err != nil {
		t.Fatal(err)
	}
	public := store.VisibilityPublic
	// plain becomes public: in; pub pinned (already public): out.
	if _, err := db.UpdateMemo(ctx, plain.ID, store.MemoUpdate{Visibility: &public}); err != nil {
		t.Fatal(err)
	}
	pin := true
	if _, err := db.UpdateMemo(ctx, pub.ID, store.MemoUpdate{Pinned: &pin}); err != nil {
		t.Fatal(err)
	}
	entries, err := db.NotifyOutbox(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, e := range entries {
		got = append(got, e.MemoID)
	}
	want := []int64{mention.ID, pub.ID, plain.ID}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("outbox memos = %v, want %v", got, want)
	}
	if err := db.DeleteNotifyOutbox(ctx, entries[0].ID, entries[1].ID); err != nil {
		t.Fatal(err)
	}
	if n, err := db.PruneNotifyOutbox(ctx, time.Now().Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("prune = %d, %v; want 1", n, err)
	}
	if rest, _ := db.NotifyOutbox(ctx, 100); len(rest) != 0 {
		t.Fatalf("outbox after delete and prune: %v", rest)
	}
}

func TestClaimNotificationOncePerMemoAndUser(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	u := mustUser(t, db, "u")
	m := mustMemo(t, db, u.ID, "x", false)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := db.ClaimNotification(ctx, store.ClaimMention, m.ID, u.ID)
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d claims won, want 1", wins.Load())
	}
	if ok, err := db.ClaimNotification(ctx, store.ClaimChannel, m.ID, 0); err != nil || !ok {
		t.Fatalf("another kind: %v, %v", ok, err)
	}
	if _, err := db.ClaimNotification(ctx, store.ClaimMention, m.ID+100, u.ID); err != store.ErrNotFound {
		t.Fatalf("claim for a missing memo: %v, want ErrNotFound", err)
	}
}

func TestAdvanceMarkMovesOnlyForward(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	steps := []struct {
		name, value, threshold string
		want                   bool
	}{
		{"first claim", "2025-03-14", "2025-03-14", true},
		{"same day again", "2025-03-14", "2025-03-14", false},
		{"an earlier day", "2025-03-13", "2025-03-13", false},
		{"the next day", "2025-03-15", "2025-03-15", true},
	}
	for _, s := range steps {
		ok, err := db.AdvanceMark(ctx, "daily:1", s.value, s.threshold)
		if err != nil || ok != s.want {
			t.Fatalf("%s: %v, %v; want %v", s.name, ok, err, s.want)
		}
	}
	if v, err := db.GetMark(ctx, "daily:1"); err != nil || v != "2025-03-15" {
		t.Fatalf("mark = %q, %v", v, err)
	}
	if v, err := db.GetMark(ctx, "missing"); err != nil || v != "" {
		t.Fatalf("missing mark = %q, %v", v, err)
	}
}

func TestNotifyMigrationAddsSettingsColumns(t *testing.T) {
	ctx := context.Background()
	dir, url := t.TempDir(), storetest.URL(t)
	db, err := store.Open(ctx, dir, store.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	u := mustUser(t, db, "u")
	if _, err := db.UpdateUserSettings(ctx, u.ID, func(s *store.UserSettings) error { s.Locale = "en"; return nil }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// Make the database look as it did before version 6.
	raw := storetest.SQL(t, dir, url)
	for _, s := range []string{
		"ALTER TABLE user_settings DROP COLUMN telegram_notifications", "ALTER TABLE user_settings DROP COLUMN timezone",
		"DROP TABLE notify_outbox", "DROP TABLE notify_claims", "DROP TABLE notify_marks",
		"DELETE FROM schema_migrations WHERE version = 6",
	} {
		if _, err := raw.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	raw.Close()
	db, err = store.Open(ctx, dir, store.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := db.UpdateUserSettings(ctx, u.ID, func(s *store.UserSettings) error {
		s.TelegramNotifications, s.Timezone = true, "Asia/Tokyo"
		return nil
	})
	if err != nil || s.Locale != "en" {
		t.Fatalf("after migration: %+v, %v", s, err)
	}
	got, err := db.GetUserSettings(ctx, u.ID)
	if err != nil || !got.TelegramNotifications || got.Timezone != "Asia/Tokyo" {
		t.Fatalf("read back: %+v, %v", got, err)
	}
}

func TestMemosCreatedInAndRecipients(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	u := mustUser(t, db, "u")
	m := mustMemo(t, db, u.ID, "today", false)
	mustMemo(t, db, mustUser(t, db, "other").ID, "not u's", false)
	around := store.TimeRange{From: m.CreatedAt.Add(-time.Minute), To: m.CreatedAt.Add(time.Minute)}
	got, err := db.MemosCreatedIn(ctx, u.ID, []store.TimeRange{{From: time.Unix(0, 0), To: time.Unix(1, 0)}, around}, 10)
	if err != nil || len(got) != 1 || got[0].ID != m.ID {
		t.Fatalf("MemosCreatedIn = %v, %v", got, err)
	}
	if none, _ := db.MemosCreatedIn(ctx, u.ID, []store.TimeRange{{From: time.Unix(0, 0), To: time.Unix(1, 0)}}, 10); len(none) != 0 {
		t.Fatalf("outside every range: %v", none)
	}
	if _, err := db.UpdateUserSettings(ctx, u.ID, func(s *store.UserSettings) error {
		s.TelegramUserID, s.TelegramNotifications = 77, true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rs, err := db.NotificationRecipients(ctx, false)
	if err != nil || len(rs) != 1 || rs[0].User.ID != u.ID || rs[0].Settings.TelegramUserID != 77 {
		t.Fatalf("recipients = %+v, %v", rs, err)
	}
	if admins, err := db.NotificationRecipients(ctx, true); err != nil || len(admins) != 0 {
		t.Fatalf("admins = %+v, %v (u is no admin)", admins, err)
	}
}
