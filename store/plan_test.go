package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/memoria-app/memoria/store/internal/testdb"
)

// TestQueryPlans runs every kind of store call, records each SQL statement
// the store issued, and checks its EXPLAIN QUERY PLAN: no statement may scan
// a whole table that grows with use, and listing memos must not sort in a
// temporary B-tree (the index supplies the order).
func TestQueryPlans(t *testing.T) {
	testdb.SQLiteOnly(t, "SQLite's EXPLAIN QUERY PLAN (TestEveryCallRuns runs the same calls on PostgreSQL)")
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var mu sync.Mutex
	seen := map[string][]any{}
	record := func(tx *gorm.DB) {
		sql := tx.Statement.SQL.String()
		if sql == "" {
			return
		}
		mu.Lock()
		seen[sql] = append([]any(nil), tx.Statement.Vars...)
		mu.Unlock()
	}
	for _, g := range []*gorm.DB{db.read, db.write} {
		cb := g.Callback()
		must(t, cb.Query().After("gorm:query").Register("test:plan", record))
		must(t, cb.Create().After("gorm:create").Register("test:plan", record))
		must(t, cb.Update().After("gorm:update").Register("test:plan", record))
		must(t, cb.Delete().After("gorm:delete").Register("test:plan", record))
		must(t, cb.Row().After("gorm:row").Register("test:plan", record))
	}

	exerciseStore(t, ctx, db)

	growing := regexp.MustCompile(`\bSCAN (users|tokens|memos|memo_tags|resources|user_settings|idempotency_keys|memo_groups)\b`)
	allowed := map[string]bool{
		// CreateUser counts users once per sign-up ("is this the first user?").
		"SELECT count(*) FROM `users`": true,
	}
	// A plain connection of its own: EXPLAIN must not go through gorm's
	// prepared-statement cache.
	raw, err := sql.Open(sqliteDriverName, "file:"+filepath.Join(dir, "memoria.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var checked int
	for sql, vars := range seen {
		if allowed[sql] || strings.HasPrefix(sql, "INSERT") && !strings.Contains(sql, "SELECT") {
			continue // a plain INSERT reads no table
		}
		rows, err := raw.QueryContext(ctx, "EXPLAIN QUERY PLAN "+sql, vars...)
		if err != nil {
			t.Fatalf("explain %q: %v", sql, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		checked++
		text := strings.Join(plan, "; ")
		if m := growing.FindString(text); m != "" && !strings.Contains(text, "USING") {
			t.Errorf("full table scan (%s):\n  %s\n  plan: %s", m, sql, text)
		}
		if strings.Contains(sql, "FROM `memos`") && strings.Contains(sql, "ORDER BY") && strings.Contains(text, "TEMP B-TREE") {
			t.Errorf("memo listing sorts in a temp B-tree:\n  %s\n  plan: %s", sql, text)
		}
		if strings.Contains(sql, "ORDER BY s.docid DESC") && strings.Contains(text, "TEMP B-TREE") {
			t.Errorf("a search's unscored part sorts in a temp B-tree (it must walk the index in docid order and stop at the LIMIT):\n  %s\n  plan: %s", sql, text)
		}
		if strings.Contains(sql, "memo_search_queue") && strings.Contains(sql, "memos") && strings.HasPrefix(sql, "SELECT") &&
			!strings.Contains(text, "SEARCH memos USING INTEGER PRIMARY KEY") {
			t.Errorf("a read of the search queue's memos does not look each one up by id (it must not walk the memos its filters select):\n  %s\n  plan: %s", sql, text)
		}
		if testing.Verbose() {
			t.Logf("%s\n    → %s", sql, text)
		}
	}
	if checked < 20 {
		t.Fatalf("only %d statements recorded; the exercise is not covering the store", checked)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestEveryCallRuns makes every kind of store call on the dialect the
// tests run on: no statement may be one that only SQLite understands.
func TestEveryCallRuns(t *testing.T) {
	exerciseStore(t, context.Background(), openTestDB(t, Options{}))
}

// exerciseStore calls every store method at least once.
func exerciseStore(t *testing.T, ctx context.Context, db *DB) {
	u := User{Username: "a", PasswordHash: "h", Role: RoleAdmin}
	must(t, db.CreateUser(ctx, &u, func(int64) error { return nil }))
	_, err := db.GetUser(ctx, u.ID)
	must(t, err)
	_, err = db.GetUserByUsername(ctx, "a")
	must(t, err)
	_, err = db.ListUsers(ctx, 0, 10)
	must(t, err)
	dn, pw := "A", "h2"
	_, err = db.UpdateUser(ctx, u.ID, UserUpdate{DisplayName: &dn, PasswordHash: &pw})
	must(t, err)
	tok := Token{UserID: u.ID, Kind: TokenPersonal}
	must(t, db.CreateToken(ctx, &tok, []byte("h")))
	_, _, err = db.GetTokenByHash(ctx, []byte("h"))
	must(t, err)
	_, err = db.ListTokens(ctx, u.ID, TokenPersonal)
	must(t, err)
	must(t, db.DeleteToken(ctx, u.ID, tok.ID))
	must(t, db.CreateToken(ctx, &tok, []byte("h2")))
	must(t, db.DeleteTokenByHash(ctx, []byte("h2")))

	r := Resource{CreatorID: u.ID, Filename: "f", Type: "t", Size: 1, StoragePath: "p1"}
	must(t, db.CreateResource(ctx, &r))
	m := Memo{CreatorID: u.ID, Content: "#x", Tags: []string{"x"}, Visibility: VisibilityPublic, Source: SourceAPI}
	must(t, db.CreateMemo(ctx, &m, []int64{r.ID}))
	r2 := Resource{CreatorID: u.ID, MemoID: m.ID, Filename: "g", Type: "t", Size: 1, StoragePath: "p2"}
	must(t, db.CreateResource(ctx, &r2))
	for i := 0; i < 30; i++ {
		mm := Memo{CreatorID: u.ID, Content: fmt.Sprint(i), Visibility: VisibilityPrivate, Source: SourceAPI}
		must(t, db.CreateMemo(ctx, &mm, nil))
	}
	_, err = db.GetMemo(ctx, m.ID)
	must(t, err)
	c := CursorAfter(m)
	pinned := true
	for _, q := range []MemoQuery{
		{CreatorID: u.ID, Limit: 10},
		{CreatorID: u.ID, After: &c, Limit: 10},
		{CreatorID: u.ID, Visibilities: []Visibility{VisibilityPublic, VisibilityProtected}, Limit: 10},
		{CreatorID: u.ID, Visibilities: []Visibility{VisibilityPublic}, After: &c, Limit: 10},
		{Visibilities: []Visibility{VisibilityPublic}, Limit: 10},
		{Visibilities: []Visibility{VisibilityPublic}, After: &c, Limit: 10},
		{CreatorID: u.ID, Tag: "x", Limit: 10},
		{CreatorID: u.ID, Pinned: &pinned, Limit: 10},
	} {
		_, err = db.ListMemos(ctx, q)
		must(t, err)
		for _, after := range []*SearchCursor{nil, {Score: 9}, {Score: 2, ID: 5}} {
			_, err = db.SearchMemos(ctx, q, SearchQuery{Terms: []SearchTerm{{Text: "x 量子"}}}, after)
			must(t, err)
		}
		_, err = db.SearchMemos(ctx, q, SearchQuery{Terms: []SearchTerm{{Text: "量"}}}, nil) // a prefix: all scored
		must(t, err)
	}
	content := "#y"
	ids := []int64{r.ID}
	_, err = db.UpdateMemo(ctx, m.ID, MemoUpdate{Content: &content, Tags: []string{"y"}, Pinned: &pinned, ResourceIDs: &ids})
	must(t, err)
	_, err = db.GetResource(ctx, r.ID)
	must(t, err)
	for _, q := range []ResourceQuery{{CreatorID: u.ID, Limit: 5}, {CreatorID: u.ID, BeforeID: r2.ID, Limit: 5}, {MemoID: m.ID, Limit: 5}} {
		_, err = db.ListResources(ctx, q)
		must(t, err)
	}
	_, err = db.ResourceExistsAt(ctx, "p1")
	must(t, err)
	_, err = db.DeleteResource(ctx, r2.ID)
	must(t, err)

	_, err = db.UpdateSystemSettings(ctx, func(s *SystemSettings) error { s.AllowSignUp = true; return nil })
	must(t, err)
	_, err = db.GetSystemSettings(ctx)
	must(t, err)
	_, err = db.UpdateUserSettings(ctx, u.ID, func(s *UserSettings) error { s.TelegramUserID = 5; return nil })
	must(t, err)
	_, err = db.GetUserSettings(ctx, u.ID)
	must(t, err)
	_, err = db.GetUserByTelegramID(ctx, 5)
	must(t, err)

	for i, key := range []string{"k1", "k2", "k1"} {
		_, err = db.Ingest(ctx, Ingest{Key: key, GroupKey: "g", Memo: &Memo{CreatorID: u.ID, Content: fmt.Sprint(i), Visibility: VisibilityPrivate, Source: SourceTelegram},
			Resources: []Resource{{Filename: "i", Type: "t", Size: 1, StoragePath: fmt.Sprintf("i%d", i)}}})
		must(t, err)
	}
	must(t, db.SetCursor(ctx, "c", 1))
	_, err = db.GetCursor(ctx, "c")
	must(t, err)
	_, err = db.DeleteMemo(ctx, m.ID)
	must(t, err)
	_, err = db.DeleteUser(ctx, u.ID)
	must(t, err)
}
