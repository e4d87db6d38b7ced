package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/memoria-app/memoria/store/internal/testdb"
)

func TestPruneIngested(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir, Options{URL: testdb.URL(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	u := testUser(t, db, "u")
	memo := func() *Memo {
		return &Memo{CreatorID: u.ID, Content: "m", Visibility: VisibilityPrivate, Source: SourceTelegram}
	}
	// 1,200 old keys (more than two pruning chunks), an old album and a
	// recent one.
	var old []Ingest
	for i := range 1200 {
		old = append(old, Ingest{Key: fmt.Sprintf("old-%d", i)})
	}
	old = append(old, Ingest{Key: "old-album-1", GroupKey: "album-old", Memo: memo()})
	if _, errs := db.IngestMany(ctx, old); errs[0] != nil || errs[len(errs)-1] != nil {
		t.Fatal(errs[0], errs[len(errs)-1])
	}
	oldAlbum, err := db.Ingest(ctx, Ingest{Key: "old-album-2", GroupKey: "album-old", Memo: memo()})
	if err != nil || !oldAlbum.Appended {
		t.Fatalf("second album item: %+v, %v", oldAlbum, err)
	}
	eightDaysAgo := micros(time.Now().Add(-8 * 24 * time.Hour))
	for _, q := range []string{"UPDATE idempotency_keys SET created_at = ?", "UPDATE memo_groups SET created_at = ?"} {
		if err := db.tx(ctx, func(tx *gorm.DB) error { return tx.Exec(q, eightDaysAgo).Error }); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Ingest(ctx, Ingest{Key: "new-album-1", GroupKey: "album-new", Memo: memo()}); err != nil {
		t.Fatal(err)
	}

	keys, groups, err := db.PruneIngested(ctx, time.Now().Add(-7*24*time.Hour))
	if err != nil || keys != 1202 || groups != 1 {
		t.Fatalf("pruned %d keys and %d groups (%v), want 1202 and 1", keys, groups, err)
	}
	for key, want := range map[string]bool{"old-0": false, "old-1199": false, "old-album-2": false, "new-album-1": true} {
		if got, err := db.HasIngested(ctx, key); err != nil || got != want {
			t.Errorf("HasIngested(%s) = %v, %v; want %v", key, got, err, want)
		}
	}
	if _, err := db.GetMemo(ctx, oldAlbum.Memo.ID); err != nil {
		t.Fatalf("the pruned album's memo: %v", err)
	}
	// The kept group still collects items; the pruned one no longer does.
	if r, err := db.Ingest(ctx, Ingest{Key: "new-album-2", GroupKey: "album-new", Memo: memo()}); err != nil || !r.Appended {
		t.Fatalf("kept album: %+v, %v", r, err)
	}
	if r, err := db.Ingest(ctx, Ingest{Key: "old-album-3", GroupKey: "album-old", Memo: memo()}); err != nil || r.Appended {
		t.Fatalf("pruned album: %+v, %v", r, err)
	}
	if keys, groups, err := db.PruneIngested(ctx, time.Now().Add(-7*24*time.Hour)); err != nil || keys != 0 || groups != 0 {
		t.Fatalf("second prune: %d keys, %d groups, %v; want nothing", keys, groups, err)
	}

	// Pruning walks the created_at indexes, not the tables (checked on
	// SQLite, whose plans do not depend on table statistics).
	if testdb.OnPostgres(t) {
		return
	}
	raw, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "memoria.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for table, index := range map[string]string{"idempotency_keys": "idx_idempotency_keys_created_at", "memo_groups": "idx_memo_groups_created_at"} {
		rows, err := raw.Query("EXPLAIN QUERY PLAN SELECT key FROM "+table+" WHERE created_at < ? LIMIT ?", 1, 500)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if p := strings.Join(plan, "; "); !strings.Contains(p, index) {
			t.Errorf("plan for pruning %s: %q, want %s", table, p, index)
		}
	}
}

// TestMigration2DatesExistingGroups: groups from before migration 2 get
// the migration's time, so they are kept a full retention period.
func TestMigration2DatesExistingGroups(t *testing.T) {
	ctx := context.Background()
	dir, url := t.TempDir(), testdb.URL(t)
	all := migrations
	migrations = all[:1]
	db, err := Open(ctx, dir, Options{URL: url})
	migrations = all
	if err != nil {
		t.Fatal(err)
	}
	u := User{Username: "u", PasswordHash: "x", Role: RoleUser}
	m := Memo{Content: "album", Visibility: VisibilityPrivate, Source: SourceTelegram}
	err = db.CreateUser(ctx, &u, nil)
	if err == nil {
		m.CreatorID = u.ID
		err = db.CreateMemo(ctx, &m, nil)
	}
	if err == nil {
		err = db.tx(ctx, func(tx *gorm.DB) error {
			return tx.Exec("INSERT INTO memo_groups (key, memo_id) VALUES (?, ?)", "album-v1", m.ID).Error
		})
	}
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	t0 := time.Now()
	db, err = Open(ctx, dir, Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t1 := time.Now()
	var row memoGroupRow
	if err := db.r(ctx).Take(&row, "key = ?", "album-v1").Error; err != nil {
		t.Fatal(err)
	}
	if row.CreatedAt < micros(t0) || row.CreatedAt > micros(t1) {
		t.Fatalf("created_at = %v, want the migration's time (between %v and %v)", fromMicros(row.CreatedAt), t0, t1)
	}
	if keys, groups, err := db.PruneIngested(ctx, t0.Add(-time.Second)); err != nil || groups != 0 || keys != 0 {
		t.Fatalf("pruned %d keys and %d groups (%v) older than the upgrade, want none", keys, groups, err)
	}
}
