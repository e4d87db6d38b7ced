package store

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/memoria-app/memoria/store/internal/testdb"
)

// TestStartPGChangesWiring: what Open does for PostgreSQL — the listener
// becomes the memo feed and feeds SubscribeSettings, OnInvalidate and the
// inbox and bot status watchers. Until Open speaks PostgreSQL the DB here
// is a SQLite one with the listener started on a PostgreSQL schema, and
// the changes are written to that schema directly.
func TestStartPGChangesWiring(t *testing.T) {
	url := testdb.PostgresURL(t)
	g := openPGGorm(t, url)
	db := openSQLiteTestDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if db.MultiProcess() {
		t.Fatal("SQLite alone claims other processes")
	}
	if err := db.startPGChanges(ctx, url, nil); err != nil {
		t.Fatal(err)
	}
	if !db.MultiProcess() {
		t.Fatal("MultiProcess false with the listener started")
	}
	settings := db.SubscribeSettings(ctx)
	memos := db.SubscribeMemoEvents(ctx, 0)
	inbox := db.WatchTelegramInbox(ctx)
	status := db.WatchBotStatus(ctx)
	invs := make(chan Invalidation, 4)
	db.OnInvalidate(func(inv Invalidation) { invs <- inv })
	if _, err := db.UpdateSystemSettings(ctx, func(s *SystemSettings) error { s.InstanceURL = "https://memos.test"; return nil }); err != nil {
		t.Fatal(err)
	}
	// The local write is not published locally (on PostgreSQL the
	// listener does that); the change "another process" logs is.
	err := g.Transaction(func(tx *gorm.DB) error {
		for _, step := range []func() error{
			func() error { return logChange(tx, changeSettings, nil) },
			func() error {
				_, err := db.pgChanges().stage(tx, []MemoEvent{{Type: MemoCreated, Memo: Memo{ID: 5}}})
				return err
			},
			func() error { return logChange(tx, changeInbox, nil) },
			func() error { return logChange(tx, changeBotStatus, nil) },
			func() error { return invalidate(tx, Invalidation{Kind: InvalidateUser, UserID: 3}) },
		} {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	within := func(what string, c <-chan struct{}) {
		t.Helper()
		select {
		case <-c:
		case <-time.After(time.Second):
			t.Fatalf("%s not heard", what)
		}
	}
	select {
	case s := <-settings:
		if s.InstanceURL != "https://memos.test" {
			t.Fatalf("settings = %+v", s)
		}
	case <-time.After(time.Second):
		t.Fatal("settings not published")
	}
	if e := nextEvent(t, memos, time.Second); e.Memo.ID != 5 {
		t.Fatalf("memo event %+v", e)
	}
	within("inbox", inbox)
	within("bot status", status)
	select {
	case inv := <-invs:
		if inv.Kind != InvalidateUser || inv.UserID != 3 {
			t.Fatalf("invalidation %+v", inv)
		}
	case <-time.After(time.Second):
		t.Fatal("invalidation not heard")
	}
	select {
	case s := <-settings:
		t.Fatalf("settings published twice: %+v", s)
	case <-time.After(200 * time.Millisecond):
	}
}
