package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/memoria-app/memoria/store"
	"github.com/memoria-app/memoria/store/storetest"
)

// TestUpgradeFromSchemaVersion1 opens a database that memoria made before
// migrations 2 to 6 existed (testdata/memoria-0780238.sql): every migration
// must apply to it, the result must have the schema of a new database, and
// the old rows must read back and work with the new features.
func TestUpgradeFromSchemaVersion1(t *testing.T) {
	storetest.SQLiteOnly(t, "upgrades a SQLite file made by an old memoria (no PostgreSQL store is that old)")
	ctx := context.Background()
	oldDir, freshDir := t.TempDir(), t.TempDir()
	loadDump(t, filepath.Join(oldDir, "memoria.db"), "testdata/memoria-0780238.sql")

	db, err := store.Open(ctx, oldDir, store.Options{})
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	fresh, err := store.Open(ctx, freshDir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := fresh.SchemaVersion(ctx)
	fresh.Close()
	if got, err := db.SchemaVersion(ctx); err != nil || got != want || got < 6 {
		t.Fatalf("schema version after upgrade = %d, %v; want %d", got, err, want)
	}

	t.Run("old rows read back", func(t *testing.T) {
		m, err := db.GetMemo(ctx, 1)
		if err != nil || m.Content != "old ibis memo #birds" || !slices.Equal(m.Tags, []string{"birds"}) {
			t.Fatalf("memo 1 = %+v, %v", m, err)
		}
		s, err := db.GetUserSettings(ctx, 1)
		if err != nil || s.TelegramUserID != 777 || s.Locale != "en" || s.Timezone != "" ||
			s.TelegramConfirmation != store.ConfirmReply || s.TelegramNotifications {
			t.Fatalf("settings of user 1 = %+v, %v", s, err)
		}
		if c, err := db.GetCursor(ctx, "telegram:123"); err != nil || c != 42 {
			t.Fatalf("cursor = %d, %v; want 42", c, err)
		}
		if _, u, err := db.GetTokenByHash(ctx, []byte("hash-1")); err != nil || u.Username != "alice" {
			t.Fatalf("session token: %+v, %v", u, err)
		}
		sys, err := db.GetSystemSettings(ctx)
		if err != nil || !sys.AllowSignUp || sys.InstanceURL != "https://m.example" || sys.TelegramPublicChannel != "" {
			t.Fatalf("system settings = %+v, %v", sys, err)
		}
	})
	t.Run("old memos are searchable and counted", func(t *testing.T) {
		hits, err := db.SearchMemos(ctx, store.MemoQuery{}, words("ibis"), nil)
		if err != nil || len(hits) != 1 || hits[0].Memo.ID != 1 {
			t.Fatalf("search ibis = %+v, %v", hits, err)
		}
		tags, err := db.ListTagCounts(ctx, 1)
		if err != nil || len(tags) != 1 || tags[0].Tag != "birds" || tags[0].Count != 1 {
			t.Fatalf("tags = %+v, %v", tags, err)
		}
	})
	t.Run("new columns take writes", func(t *testing.T) {
		s, err := db.UpdateUserSettings(ctx, 1, func(s *store.UserSettings) error {
			s.Timezone, s.TelegramNotifications, s.TelegramTag = "Europe/Berlin", true, "tg"
			s.TelegramConfirmation = store.ConfirmSilent
			return nil
		})
		if err != nil || s.Timezone != "Europe/Berlin" || s.TelegramUserID != 777 {
			t.Fatalf("update settings = %+v, %v", s, err)
		}
		m := store.Memo{CreatorID: 2, Content: "new egret memo", Visibility: store.VisibilityPrivate, Source: store.SourceAPI}
		if err := db.CreateMemo(ctx, &m, nil); err != nil || m.ID <= 3 {
			t.Fatalf("create memo after upgrade: id %d, %v", m.ID, err)
		}
	})
	db.Close()

	// Same tables, columns, indexes, foreign keys, triggers and views as a
	// new database.
	if got, want := describeSchema(t, filepath.Join(oldDir, "memoria.db")), describeSchema(t, filepath.Join(freshDir, "memoria.db")); got != want {
		t.Errorf("upgraded schema differs from a new database's:\n--- upgraded\n%s\n--- new\n%s", got, want)
	}
}

// loadDump creates the SQLite database at path from an SQL dump.
func loadDump(t *testing.T, path, dump string) {
	t.Helper()
	script, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(string(script)); err != nil {
		t.Fatalf("load %s: %v", dump, err)
	}
}

// describeSchema lists, table by table, what PRAGMA says of the columns,
// indexes and foreign keys (not the CREATE text, which differs by the
// whitespace ALTER TABLE leaves), then the triggers' and views' SQL.
func describeSchema(t *testing.T, path string) string {
	t.Helper()
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	query := func(q string, args ...any) [][]string {
		rows, err := raw.Query(q, args...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var out [][]string
		for rows.Next() {
			vals := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			row := make([]string, len(cols))
			for i, v := range vals {
				row[i] = v.String
			}
			out = append(out, row)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	var b strings.Builder
	// Virtual tables need their module; their shadow tables are compared.
	for _, tbl := range query("SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name") {
		name := tbl[0]
		fmt.Fprintf(&b, "table %s\n", name)
		for _, c := range query("SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?)", name) {
			fmt.Fprintf(&b, "  column %v\n", c)
		}
		for _, ix := range query("SELECT name, \"unique\", partial FROM pragma_index_list(?) ORDER BY name", name) {
			var cols []string
			for _, c := range query("SELECT name, desc FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno", ix[0]) {
				cols = append(cols, strings.Join(c, " "))
			}
			fmt.Fprintf(&b, "  index %v on %v\n", ix, cols)
		}
		for _, fk := range query("SELECT \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list(?) ORDER BY \"from\"", name) {
			fmt.Fprintf(&b, "  foreign key %v\n", fk)
		}
	}
	for _, o := range query("SELECT type, name, sql FROM sqlite_master WHERE type IN ('trigger', 'view') ORDER BY type, name") {
		fmt.Fprintf(&b, "%s %s: %s\n", o[0], o[1], o[2])
	}
	return b.String()
}
