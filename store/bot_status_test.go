package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/memoria-app/memoria/store/internal/testdb"
)

// botStatusOps are the bot status operations over one dialect.
type botStatusOps struct {
	claim func(BotStatus) (int64, error)
	set   func(BotStatus) error
	get   func(botID int64) (BotStatus, error)
}

// openSQLiteTestDB opens a store on a real SQLite file in a temporary directory.
func openSQLiteTestDB(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func sqliteBotStatusOps(t *testing.T) botStatusOps {
	db := openSQLiteTestDB(t)
	ctx := context.Background()
	return botStatusOps{
		claim: func(st BotStatus) (int64, error) { return db.ClaimBotStatus(ctx, st) },
		set:   func(st BotStatus) error { return db.SetBotStatus(ctx, st) },
		get:   func(id int64) (BotStatus, error) { return db.GetBotStatus(ctx, id) },
	}
}

func postgresBotStatusOps(t *testing.T) botStatusOps {
	g := openPGGorm(t, testdb.PostgresURL(t))
	return botStatusOps{
		claim: func(st BotStatus) (term int64, err error) {
			err = g.Transaction(func(tx *gorm.DB) error { term, err = claimBotStatus(tx, st); return err })
			return term, err
		},
		set: func(st BotStatus) error {
			return g.Transaction(func(tx *gorm.DB) error { return setBotStatus(tx, st) })
		},
		get: func(id int64) (BotStatus, error) {
			var row botStatusRow
			if err := g.Take(&row, "bot_id = ?", id).Error; err != nil {
				return BotStatus{}, translate(err)
			}
			return row.toStatus(), nil
		},
	}
}

func TestBotStatusTerms(t *testing.T) {
	for name, open := range map[string]func(*testing.T) botStatusOps{"sqlite": sqliteBotStatusOps, "postgres": postgresBotStatusOps} {
		t.Run(name, func(t *testing.T) {
			ops := open(t)
			if _, err := ops.get(42); !errors.Is(err, ErrNotFound) {
				t.Fatalf("get before any leader = %v, want ErrNotFound", err)
			}
			since := time.Now().Truncate(time.Microsecond)
			t1, err := ops.claim(BotStatus{BotID: 42, State: "starting", Since: since, Poller: "a:1"})
			if err != nil || t1 != 1 {
				t.Fatalf("first claim = %d, %v", t1, err)
			}
			if err := ops.set(BotStatus{BotID: 42, Term: t1, State: "running", Username: "memo_bot", Since: since, Poller: "a:1"}); err != nil {
				t.Fatal(err)
			}
			st, err := ops.get(42)
			if err != nil || st.State != "running" || st.Username != "memo_bot" || st.Poller != "a:1" || !st.Since.Equal(since) || st.Term != 1 {
				t.Fatalf("get = %+v, %v", st, err)
			}
			// A new leader takes the next term; the old one's writes are refused.
			t2, err := ops.claim(BotStatus{BotID: 42, State: "starting", Since: since, Poller: "b:2"})
			if err != nil || t2 != 2 {
				t.Fatalf("second claim = %d, %v", t2, err)
			}
			if err := ops.set(BotStatus{BotID: 42, Term: t1, State: "error", Error: "stale", Poller: "a:1"}); !errors.Is(err, ErrStaleTerm) {
				t.Fatalf("stale leader's write = %v, want ErrStaleTerm", err)
			}
			if st, _ := ops.get(42); st.Poller != "b:2" || st.State != "starting" {
				t.Fatalf("after a stale write: %+v", st)
			}
			// Another bot is another row.
			if term, err := ops.claim(BotStatus{BotID: 43, State: "starting"}); err != nil || term != 1 {
				t.Fatalf("other bot's claim = %d, %v", term, err)
			}
		})
	}
}

// TestBotStatusHeardByOtherProcess: a status written on one process wakes
// the bot status watchers of another.
func TestBotStatusHeardByOtherProcess(t *testing.T) {
	url := testdb.PostgresURL(t)
	g := openPGGorm(t, url)
	b := startTestProcess(t, url, pgFeedOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := b.botStatus.watch(ctx)
	if err := g.Transaction(func(tx *gorm.DB) error { _, err := claimBotStatus(tx, BotStatus{BotID: 1}); return err }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-w:
	case <-time.After(time.Second):
		t.Fatal("bot status change not heard")
	}
}

// TestBotStatusConcurrentClaims: claims racing for one term never both
// get it.
func TestBotStatusConcurrentClaims(t *testing.T) {
	g := openPGGorm(t, testdb.PostgresURL(t))
	terms := make(chan int64, 8)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			var term int64
			err := g.Transaction(func(tx *gorm.DB) (err error) { term, err = claimBotStatus(tx, BotStatus{BotID: 77}); return err })
			if err != nil {
				errs <- err
				return
			}
			terms <- term
		}()
	}
	seen := map[int64]bool{}
	for range 8 {
		select {
		case term := <-terms:
			if seen[term] {
				t.Fatalf("term %d claimed twice", term)
			}
			seen[term] = true
		case err := <-errs:
			if !errors.Is(err, ErrStaleTerm) && !errors.Is(err, ErrConflict) && !errors.Is(err, gorm.ErrDuplicatedKey) {
				t.Fatalf("losing claim failed with %v", err)
			}
		}
	}
	if len(seen) == 0 {
		t.Fatal("no claim succeeded")
	}
}
