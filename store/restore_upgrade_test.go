package store_test

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/memoria-app/memoria/store"
	"github.com/memoria-app/memoria/store/storetest"
)

// TestRestoreOldSnapshotIntoPostgres: a backup's database of schema
// version 1 (testdata/memoria-0780238.sql) is migrated on its scratch
// copy, then restored into PostgreSQL with its rows, its file moved into
// the database, and a search index that finds its memos.
func TestRestoreOldSnapshotIntoPostgres(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresURL(t)
	snap := filepath.Join(t.TempDir(), store.DatabaseFile)
	loadDump(t, snap, "testdata/memoria-0780238.sql")
	files := func(ctx context.Context, fn func(string, io.Reader) error) error {
		return fn("files/a.txt", strings.NewReader("a"))
	}
	sum, err := store.RestoreSnapshot(ctx, snap, url, files)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Files != 1 || sum.Rows == 0 {
		t.Errorf("summary %+v: want the 1 file moved", sum)
	}
	db, err := store.Open(ctx, "", store.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if m, err := db.GetMemo(ctx, 1); err != nil || m.Content != "old ibis memo #birds" {
		t.Fatalf("memo 1 = %+v, %v", m, err)
	}
	res, err := db.GetResource(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	id, ok := store.ParseBlobRef(res.StoragePath)
	if !ok {
		t.Fatalf("the old file is at %q, not in the database", res.StoragePath)
	}
	b, err := db.OpenBlob(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(b)
	if string(body) != "a" {
		t.Errorf("the old file holds %q", body)
	}
	hits, err := db.SearchMemos(ctx, store.MemoQuery{Limit: 10}, store.SearchQuery{Terms: []store.SearchTerm{{Text: "heron"}}}, nil)
	if err != nil || len(hits) != 1 || hits[0].Memo.ID != 2 {
		t.Errorf("search heron: %+v, %v; want memo 2", hits, err)
	}
	if err := db.CheckSearchIndex(ctx); err != nil {
		t.Error(err)
	}
}
