package store

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/memoria-app/memoria/store/internal/testdb"
)

// TestMemosWrittenByOtherProgramsAreIndexedAtOpenPostgres: on PostgreSQL a
// memo inserted or edited by psql (a connection without the store's
// marker) is recorded, indexed at the store's next start, and the store's
// own writes record nothing there. (SQLite's counterpart:
// TestMemosWrittenOutsideTheStoreAreIndexedAtOpen.)
func TestMemosWrittenByOtherProgramsAreIndexedAtOpenPostgres(t *testing.T) {
	url := testdb.PostgresURL(t)
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir, Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	u := testUser(t, db, "u")
	edited := Memo{CreatorID: u.ID, Content: "before the script", Visibility: VisibilityPrivate, Source: SourceAPI}
	if err := db.CreateMemo(ctx, &edited, nil); err != nil {
		t.Fatal(err)
	}
	gone := Memo{CreatorID: u.ID, Content: "deleted by the script", Visibility: VisibilityPrivate, Source: SourceAPI}
	if err := db.CreateMemo(ctx, &gone, nil); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	raw := stdlib.OpenDB(*cfg) // as psql would: no marker
	defer raw.Close()
	var outside int
	if err := raw.QueryRow("SELECT COUNT(*) FROM memo_search_outside").Scan(&outside); err != nil || outside != 0 {
		t.Fatalf("after the store's own writes memo_search_outside holds %d rows (%v), want 0", outside, err)
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"INSERT INTO memos (creator_id, content, visibility, pinned, tags, source, created_at, updated_at) VALUES ($1, 'psql wrote this dunlin', 'private', false, '', 'api', 1, 1)", []any{u.ID}},
		{"UPDATE memos SET content = 'a script changed this godwit' WHERE id = $1", []any{edited.ID}},
		{"DELETE FROM memos WHERE id = $1", []any{gone.ID}},
	} {
		if _, err := raw.Exec(q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	if err := db.CheckSearchIndex(ctx); err == nil {
		t.Fatal("memos written by another program passed the check before the store reindexed them")
	}
	db.Close()
	if db, err = Open(ctx, dir, Options{URL: url}); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for word, want := range map[string]int{"dunlin": 1, "godwit": 1, "script": 1, "before": 0, "deleted": 0} {
		if n := searchCount(t, db, word); n != want {
			t.Errorf("after reopening, search %q: %d hits, want %d", word, n, want)
		}
	}
	if err := db.CheckSearchIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueryRow("SELECT COUNT(*) FROM memo_search_outside").Scan(&outside); err != nil || outside != 0 {
		t.Fatalf("after reopening memo_search_outside holds %d rows (%v), want 0", outside, err)
	}

	// While the store runs (an older memoria still running during a
	// rolling deploy writes without the marker too): indexed within
	// outsideWritesEvery.
	if _, err := raw.Exec("INSERT INTO memos (creator_id, content, visibility, pinned, tags, source, created_at, updated_at) VALUES ($1, 'psql wrote this sanderling', 'private', false, '', 'api', 2, 2)", u.ID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(outsideWritesEvery + 5*time.Second)
	for searchCount(t, db, "sanderling") != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("a memo another program wrote while the store ran is not found %v later", outsideWritesEvery+5*time.Second)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := db.CheckSearchIndex(ctx); err != nil {
		t.Fatal(err)
	}
}
