package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"gorm.io/gorm"

	"github.com/memoria-app/memoria/store/internal/testdb"
)

func openSearchTestDB(t *testing.T) *DB {
	t.Helper()
	return openTestDB(t, Options{}) // SQLite or PostgreSQL (MEMORIA_TEST_DB)
}

// testUser creates a user named name on db.
func testUser(tb testing.TB, db *DB, name string) User {
	tb.Helper()
	u := User{Username: name, PasswordHash: "x", Role: RoleUser}
	if err := db.CreateUser(context.Background(), &u, nil); err != nil {
		tb.Fatal(err)
	}
	return u
}

func searchCount(t *testing.T, db *DB, word string) int {
	t.Helper()
	hits, err := db.SearchMemos(context.Background(), MemoQuery{}, SearchQuery{Terms: []SearchTerm{{Text: word}}}, nil)
	if err != nil {
		t.Fatalf("search %q: %v", word, err)
	}
	return len(hits)
}

// TestEveryContentWriteKeepsTheIndex runs every store function that writes
// memos.content, one after another on one database: after each, the new
// words are found, the replaced ones are not, FTS's integrity check (which
// re-derives every memo's tokens) passes, the queue is empty and no
// prepared tokens are left behind.
func TestEveryContentWriteKeepsTheIndex(t *testing.T) {
	ctx := context.Background()
	db := openSearchTestDB(t)
	u := User{Username: "u", PasswordHash: "x", Role: RoleUser}
	other := User{Username: "other", PasswordHash: "x", Role: RoleUser}
	for _, x := range []*User{&u, &other} {
		if err := db.CreateUser(ctx, x, nil); err != nil {
			t.Fatal(err)
		}
	}
	memo := func(content string) *Memo {
		return &Memo{CreatorID: u.ID, Content: content, Visibility: VisibilityPrivate, Source: SourceTelegram}
	}
	var m Memo // the memo the steps edit
	steps := []struct {
		name          string
		write         func() error
		found, absent []string
	}{
		{"CreateMemo", func() error {
			m = *memo("heron at dawn")
			return db.CreateMemo(ctx, &m, nil)
		}, []string{"heron"}, nil},
		{"UpdateMemo content", func() error {
			c := "egret at dusk"
			_, err := db.UpdateMemo(ctx, m.ID, MemoUpdate{Content: &c})
			return err
		}, []string{"egret"}, []string{"heron"}},
		{"Ingest new memo", func() error {
			_, err := db.Ingest(ctx, Ingest{Key: "k1", Memo: memo("ingested puffin"),
				Messages: []ExternalMessage{{Key: "chat1:1", UserID: u.ID, Kind: MessageOrigin, Part: "ingested puffin"}}})
			return err
		}, []string{"puffin"}, nil},
		{"Ingest album: placeholder then caption", func() error {
			if _, err := db.Ingest(ctx, Ingest{Key: "a1", GroupKey: "album", Memo: memo("#album"), EmptyContent: "#album"}); err != nil {
				return err
			}
			_, err := db.Ingest(ctx, Ingest{Key: "a2", GroupKey: "album", Memo: memo("flamingo caption"), EmptyContent: "#album"})
			return err
		}, []string{"flamingo"}, nil},
		{"Ingest appended to a memo", func() error {
			_, err := db.Ingest(ctx, Ingest{Key: "k2", AppendTo: m.ID, Memo: memo("appended pelican")})
			return err
		}, []string{"pelican", "egret"}, nil},
		{"IngestMany", func() error {
			_, errs := db.IngestMany(ctx, []Ingest{{Key: "k3", Memo: memo("batch gannet")}, {Key: "k4", Memo: memo("batch shag")}})
			return errors.Join(errs...)
		}, []string{"gannet", "shag"}, nil},
		{"ApplyExternalEdit", func() error {
			var msg ExternalMessage
			if err := db.r(ctx).Model(&externalMessageRow{}).Where("key = ?", "chat1:1").Select("memo_id").Scan(&msg.MemoID).Error; err != nil {
				return err
			}
			cur, err := db.GetMemo(ctx, msg.MemoID)
			if err != nil {
				return err
			}
			_, err = db.ApplyExternalEdit(ctx, ExternalEdit{Key: "chat1:1", Expect: cur.Content, Content: "edited razorbill", Part: "edited razorbill"})
			return err
		}, []string{"razorbill"}, []string{"puffin"}},
		{"ImportMemo", func() error {
			_, err := db.ImportMemo(ctx, "imp1", memo("imported kittiwake"), nil)
			return err
		}, []string{"kittiwake"}, nil},
		{"DeleteMemo", func() error {
			_, err := db.DeleteMemo(ctx, m.ID)
			return err
		}, nil, []string{"egret", "pelican"}},
		{"DeleteUser cascades to memos", func() error {
			mo := Memo{CreatorID: other.ID, Content: "cormorant of another", Visibility: VisibilityPrivate, Source: SourceAPI}
			if err := db.CreateMemo(ctx, &mo, nil); err != nil {
				return err
			}
			_, err := db.DeleteUser(ctx, other.ID)
			return err
		}, nil, []string{"cormorant"}},
		{"one transaction creates, edits and deletes", func() error {
			return db.tx(ctx, func(tx *gorm.DB) error {
				a, b := *memo("draft skua"), *memo("doomed tern")
				if err := insertMemo(tx, &a); err != nil {
					return err
				}
				if err := insertMemo(tx, &b); err != nil {
					return err
				}
				if err := tx.Exec("UPDATE memos SET content = 'final skua petrel' WHERE id = ?", a.ID).Error; err != nil {
					return err
				}
				return tx.Exec("DELETE FROM memos WHERE id = ?", b.ID).Error
			})
		}, []string{"petrel", "skua"}, []string{"draft", "tern"}},
		{"a write rolled back inside a group", func() error {
			err := db.tx(ctx, func(tx *gorm.DB) error {
				x := *memo("rolled back albatross")
				if err := insertMemo(tx, &x); err != nil {
					return err
				}
				return errors.New("fail on purpose")
			})
			if err == nil {
				return errors.New("the failing write succeeded")
			}
			return nil
		}, nil, []string{"albatross"}},
	}
	for _, s := range steps {
		if err := s.write(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		for _, w := range s.found {
			if n := searchCount(t, db, w); n != 1 {
				t.Errorf("%s: %q found in %d memos, want 1", s.name, w, n)
			}
		}
		for _, w := range s.absent {
			if n := searchCount(t, db, w); n != 0 {
				t.Errorf("%s: %q still found in %d memos", s.name, w, n)
			}
		}
		if err := db.CheckSearchIndex(ctx); err != nil {
			t.Errorf("%s: %v", s.name, err)
		}
		if n := db.searchBodies.len(); n != 0 {
			t.Errorf("%s: %d prepared contents left behind", s.name, n)
		}
	}
}

// TestPreparedTokensAreOnlyAShortcut: the writer indexes a memo whose
// content nobody prepared (written inside the transaction) exactly as a
// prepared one, and a prepared entry serves any memo with that content.
func TestPreparedTokensAreOnlyAShortcut(t *testing.T) {
	ctx := context.Background()
	db := openSearchTestDB(t)
	u := testUser(t, db, "u")
	release := db.prepareSearch("shared words 量子纠缠")
	for i := range 3 {
		err := db.tx(ctx, func(tx *gorm.DB) error {
			m := Memo{CreatorID: u.ID, Content: "shared words 量子纠缠", Visibility: VisibilityPrivate, Source: SourceAPI}
			if i == 2 {
				m.Content = fmt.Sprintf("unprepared %d 量子", i)
			}
			return insertMemo(tx, &m)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	release()
	if n := db.searchBodies.len(); n != 0 {
		t.Fatalf("%d prepared contents left after release", n)
	}
	if searchCount(t, db, "量子纠缠") != 2 || searchCount(t, db, "量子") != 3 || searchCount(t, db, "unprepared") != 1 {
		t.Fatal("prepared and unprepared memos are not indexed alike")
	}
	if err := db.CheckSearchIndex(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestMemosWrittenOutsideTheStoreAreIndexedAtOpen: a memo inserted by
// another program (a sqlite3 shell) is queued by the trigger, found from
// the queue, and folded into FTS by the next Open.
func TestMemosWrittenOutsideTheStoreAreIndexedAtOpen(t *testing.T) {
	testdb.SQLiteOnly(t, "writes the SQLite file with the sqlite3 driver")
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	db, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	u := testUser(t, db, "u")
	raw, err := sql.Open("sqlite3", filepath.Join(dir, "memoria.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec("INSERT INTO memos (creator_id, content, visibility, pinned, tags, source, created_at, updated_at) VALUES (?, 'shell wrote this dunlin', 'private', 0, '', 'api', 1, 1)", u.ID); err != nil {
		t.Fatal(err)
	}
	if n := searchCount(t, db, "dunlin"); n != 1 {
		t.Fatalf("from the queue: %d hits, want 1", n)
	}
	db.Close()
	if db, err = Open(ctx, dir, Options{}); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n := queuedMemos(t, db); n != 0 {
		t.Fatalf("%d memos still queued after Open", n)
	}
	if n := searchCount(t, db, "dunlin"); n != 1 {
		t.Fatalf("after reopening: %d hits, want 1", n)
	}
	if err := db.CheckSearchIndex(ctx); err != nil {
		t.Fatal(err)
	}
}
