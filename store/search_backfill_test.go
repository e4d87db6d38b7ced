package store

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"gorm.io/gorm"
)

// TestBackfillIndexesEveryChunk: building the index over memos already
// stored (what a migration and a restore do) indexes all of them, over
// more than one chunk, and logs its progress chunk by chunk.
func TestBackfillIndexesEveryChunk(t *testing.T) {
	if testing.Short() {
		t.Skip("writes over 10,000 memos")
	}
	ctx := context.Background()
	db := openSearchTestDB(t)
	u := testUser(t, db, "u")
	n := backfillChunk + 37
	// One statement through the store's writer: its triggers index them
	// as any write of the store's.
	if err := db.tx(ctx, func(tx *gorm.DB) error {
		return tx.Exec(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
			INSERT INTO memos (creator_id, content, visibility, pinned, tags, source, created_at, updated_at)
			SELECT ?, 'memo w' || i || ' heron', 'private', false, '', 'api', 1, 1 FROM n`, n-1, u.ID).Error
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.CheckSearchIndex(ctx); err != nil { // folds SQLite's queue
		t.Fatal(err)
	}
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	err := db.tx(ctx, func(tx *gorm.DB) error {
		if tx.Dialector.Name() != postgresName {
			// What migrations 7 and 11 do: the index made anew, then
			// filled from the memos.
			return fullTextFor(tx).create(ctx, tx, log)
		}
		// What a restore does: an empty index filled from the memos.
		if err := tx.Exec("DELETE FROM memo_search").Error; err != nil {
			return err
		}
		return fullTextFor(tx).indexAll(ctx, tx, log)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CheckSearchIndex(ctx); err != nil {
		t.Fatalf("after the backfill: %v", err)
	}
	for _, w := range []string{"w0", fmt.Sprintf("w%d", backfillChunk-1), fmt.Sprintf("w%d", n-1)} {
		if got := searchCount(t, db, w); got != 1 {
			t.Errorf("search %q = %d memos, want 1", w, got)
		}
	}
	for _, line := range []string{
		fmt.Sprintf("building the search index\" memos=%d", n),
		fmt.Sprintf("indexed=%d of=%d", backfillChunk, n),
		fmt.Sprintf("indexed=%d of=%d", n, n),
	} {
		if !strings.Contains(logged.String(), line) {
			t.Errorf("log lacks %q:\n%s", line, logged.String())
		}
	}
}
