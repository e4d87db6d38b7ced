package store

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/memoria-app/memoria/store/internal/testdb"
)

// copySource is a SQLite store seeded with a row in every copied table,
// and the bytes of the files its resources keep on disk.
type copySource struct {
	dir  string
	disk map[string][]byte // storage path → bytes
	// lastMemo is the largest memo id handed out (its memo deleted since,
	// so only the AUTOINCREMENT mark remembers it).
	lastMemo int64
}

// seedCopySource fills a new SQLite store in a temporary directory and
// closes it.
func seedCopySource(t *testing.T) copySource {
	t.Helper()
	ctx := context.Background()
	src := copySource{dir: t.TempDir(), disk: map[string][]byte{}}
	db, err := Open(ctx, src.dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	seedStoreRows(t, db, &src)
	return src
}

// seedStoreRows writes rows of every kind into db (of either dialect),
// recording disk-held files' bytes in src.disk.
func seedStoreRows(t *testing.T, db *DB, src *copySource) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	alice := User{Username: "alice", DisplayName: "Alice A.", PasswordHash: "$2a$04$hash", Role: RoleAdmin}
	bob := User{Username: "bob", PasswordHash: "$2a$04$hash2", Role: RoleUser}
	must(db.CreateUser(ctx, &alice, nil))
	must(db.CreateUser(ctx, &bob, nil))
	must(db.CreateToken(ctx, &Token{UserID: alice.ID, Kind: TokenPersonal, Description: "cli", ExpiresAt: time.Now().Add(time.Hour)}, []byte("hash-1")))
	must(db.CreateToken(ctx, &Token{UserID: bob.ID, Kind: TokenSession}, []byte{0, 1, 2, 0xff}))
	_, err := db.UpdateUserSettings(ctx, alice.ID, func(s *UserSettings) error {
		s.TelegramUserID, s.Timezone, s.Locale, s.TelegramNotifications, s.TelegramTag = 4242, "Europe/Berlin", "de", true, "tg"
		s.DefaultVisibility, s.TelegramConfirmation = VisibilityProtected, ConfirmReaction
		return nil
	})
	must(err)
	_, err = db.UpdateSystemSettings(ctx, func(s *SystemSettings) error {
		s.InstanceURL, s.AllowSignUp, s.TelegramBotToken, s.TelegramUpdateMode = "https://memo.example.com", true, "123:abc", UpdateWebhook
		return nil
	})
	must(err)
	must(db.CreateLinkCode(ctx, alice.ID, []byte("code-hash"), time.Now().Add(10*time.Minute)))

	// Files: some on disk (made-up paths; the FileSource serves them),
	// some in the database, one orphan blob that no copy keeps.
	var resIDs []int64
	for i := 0; i < 4; i++ {
		body := bytes.Repeat([]byte{byte(i), 7}, 1000+i)
		switch i {
		case 2: // on disk, exactly two chunks once moved
			body = bytes.Repeat([]byte("y"), 2*BlobChunkSize)
		case 3: // in the database, two chunks, the last short
			body = bytes.Repeat([]byte("x"), BlobChunkSize+5)
		}
		owner := alice.ID
		if i == 2 {
			owner = bob.ID
		}
		r := Resource{CreatorID: owner, Filename: fmt.Sprintf("f%d.bin", i), Type: "application/octet-stream", Size: int64(len(body))}
		if i%2 == 0 {
			r.StoragePath = fmt.Sprintf("2024/01/f%d.bin", i)
			src.disk[r.StoragePath] = body
		} else {
			id, _, err := db.WriteBlob(ctx, bytes.NewReader(body), 1<<30)
			must(err)
			r.StoragePath = BlobRef(id)
		}
		must(db.CreateResource(ctx, &r))
		resIDs = append(resIDs, r.ID)
	}
	_, _, err = db.WriteBlob(ctx, strings.NewReader("orphan"), 100)
	must(err)
	m1 := Memo{CreatorID: alice.ID, Content: "hello #go world 你好世界", Tags: []string{"go"}, Visibility: VisibilityPublic, Pinned: true, Source: SourceWeb}
	must(db.CreateMemo(ctx, &m1, resIDs[:2]))
	m2 := Memo{CreatorID: bob.ID, Content: "bob's api memo", Visibility: VisibilityPrivate, Source: SourceAPI}
	must(db.CreateMemo(ctx, &m2, resIDs[2:3]))
	res, err := db.Ingest(ctx, Ingest{
		Key: "tg:1:100", GroupKey: "album:9",
		Memo:         &Memo{CreatorID: alice.ID, Content: "from telegram #tg", Tags: []string{"tg"}, Visibility: VisibilityProtected, Source: SourceTelegram},
		Messages:     []ExternalMessage{{Key: "tg:msg:1", UserID: alice.ID, Kind: "origin", Part: "from telegram"}},
		TrackContent: true,
	})
	must(err)
	_, err = db.ClaimNotification(ctx, "mention", res.Memo.ID, bob.ID)
	must(err)
	_, err = db.AdvanceMark(ctx, "daily:1", "2024-05-01", "2024-05-01")
	must(err)
	must(db.SetCursor(ctx, "telegram:123", 777))
	_, err = db.AppendTelegramUpdate(ctx, 123, 778, []byte(`{"update_id":778}`))
	must(err)
	must(db.SetTelegramWebhook(ctx, TelegramWebhook{BotID: 123, TokenHash: []byte("th"), Secret: "s3cret"}))
	// The newest memo goes: the sequence must still move past it.
	gone := Memo{CreatorID: bob.ID, Content: "deleted", Visibility: VisibilityPrivate, Source: SourceWeb}
	must(db.CreateMemo(ctx, &gone, nil))
	_, err = db.DeleteMemo(ctx, gone.ID)
	must(err)
	src.lastMemo = gone.ID
	// The memo the outbox and the cursor-like tables refer to stay.
	must(db.tx(ctx, func(tx *gorm.DB) error {
		return tx.Exec("INSERT INTO import_map (key, target_id, created_at) VALUES ('memos:user:1', ?, 1)", alice.ID).Error
	}))
}

// fileSource serves files as a backup would, in sorted order.
func fileSource(files map[string][]byte) FileSource {
	return func(ctx context.Context, fn func(string, io.Reader) error) error {
		paths := make([]string, 0, len(files))
		for p := range files {
			paths = append(paths, p)
		}
		slices.Sort(paths)
		for _, p := range paths {
			if err := fn(p, bytes.NewReader(files[p])); err != nil {
				return err
			}
		}
		return nil
	}
}

// openRaw opens a plain gorm handle on a SQLite file or a PostgreSQL URL.
func openRaw(t *testing.T, sqliteFile, url string) *gorm.DB {
	t.Helper()
	var g *gorm.DB
	if url != "" {
		cfg, err := postgresConfig(url)
		if err != nil {
			t.Fatal(err)
		}
		if g, err = openPostgresPool(context.Background(), cfg, 2); err != nil {
			t.Fatal(err)
		}
	} else {
		var err error
		if g, err = gorm.Open(sqliteDialector("file:"+sqliteFile+"?mode=ro"), gormConfig(false)); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { closePool(g) })
	return g
}

// tableRows reads every row of table as sorted strings, each value
// written the same for both databases (booleans as 0/1, bytes as text).
func tableRows(t *testing.T, g *gorm.DB, table string, skip ...string) []string {
	t.Helper()
	rows, err := g.Raw("SELECT * FROM " + quoteIdent(table)).Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for i, v := range vals {
			if slices.Contains(skip, cols[i]) {
				continue
			}
			switch x := v.(type) {
			case bool:
				if x {
					v = int64(1)
				} else {
					v = int64(0)
				}
			case []byte:
				v = string(x)
			}
			fmt.Fprintf(&b, "%s=%q ", cols[i], fmt.Sprint(v))
		}
		out = append(out, b.String())
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// TestCopyTablesCoverTheSchema: every table a fresh database of either
// kind has is either copied or skipped, and every copied one exists on
// both: a migration that adds a table must say what a copy does with it.
func TestCopyTablesCoverTheSchema(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lite, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	pg, err := Open(ctx, "", Options{URL: testdb.PostgresURL(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	for name, g := range map[string]*gorm.DB{"SQLite": lite.read, "PostgreSQL": pg.read} {
		if err := checkKnownTables(ctx, g, name); err != nil {
			t.Error(err)
		}
		tables, err := listTables(ctx, g)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range copiedTables {
			if !slices.Contains(tables, c.name) {
				t.Errorf("%s has no table %s, which a copy moves", name, c.name)
			}
		}
	}
	// A table of no migration's is refused, naming it.
	mustExec(t, pg, "CREATE TABLE orders (id BIGINT)")
	if err := checkKnownTables(ctx, pg.read, "PostgreSQL"); err == nil || !strings.Contains(err.Error(), "orders") {
		t.Errorf("an unknown table: %v, want an error naming it", err)
	}
}

// TestRestoreSnapshotIntoPostgres: a SQLite snapshot restored into an
// empty PostgreSQL schema has every row of every copied table, ids kept;
// the files on disk moved into the database byte for byte (their
// resources now naming blobs), the orphan blob left behind; sequences
// past the source's marks; the search index built. Snapshotting that
// database back into SQLite gives the same rows again.
func TestRestoreSnapshotIntoPostgres(t *testing.T) {
	ctx := context.Background()
	src := seedCopySource(t)
	url := testdb.PostgresURL(t)
	snap := filepath.Join(t.TempDir(), DatabaseFile)
	if err := Snapshot(ctx, src.dir, snap); err != nil {
		t.Fatal(err)
	}
	sum, err := RestoreSnapshot(ctx, snap, url, fileSource(src.disk))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Files != len(src.disk) || sum.Blobs != 2 {
		t.Errorf("summary %+v: want %d files moved and 2 blobs copied", sum, len(src.disk))
	}
	lite := openRaw(t, filepath.Join(src.dir, DatabaseFile), "")
	pg := openRaw(t, "", url)
	for _, tb := range copiedTables {
		switch tb.name {
		case "file_blobs", "file_chunks":
			continue // checked through the store below
		case "resources":
			if got, want := tableRows(t, pg, tb.name, "storage_path"), tableRows(t, lite, tb.name, "storage_path"); !slices.Equal(got, want) {
				t.Errorf("resources differ:\n got %q\nwant %q", got, want)
			}
			continue
		}
		got, want := tableRows(t, pg, tb.name), tableRows(t, lite, tb.name)
		if len(want) == 0 {
			t.Errorf("the source has no rows in %s: the test seeds too little", tb.name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s differs:\n got %q\nwant %q", tb.name, got, want)
		}
	}

	db, err := Open(ctx, "", Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srcDB, err := Open(ctx, src.dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srcDB.Close()
	srcRes, err := srcDB.ListResources(ctx, ResourceQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range srcRes {
		got, err := db.GetResource(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		id, ok := ParseBlobRef(got.StoragePath)
		if !ok {
			t.Fatalf("resources/%d is at %q on PostgreSQL, not in the database", r.ID, got.StoragePath)
		}
		want := src.disk[r.StoragePath]
		if srcID, inDB := ParseBlobRef(r.StoragePath); inDB {
			if srcID != id {
				t.Errorf("resources/%d: blob %d became %d", r.ID, srcID, id)
			}
			want = readBlob(t, srcDB, srcID)
		}
		if b := readBlob(t, db, id); !bytes.Equal(b, want) || int64(len(b)) != r.Size {
			t.Errorf("resources/%d: %d bytes on PostgreSQL, want %d equal to the source's", r.ID, len(b), len(want))
		}
	}
	blobs := 0
	if err := db.WalkBlobs(ctx, func(int64, time.Time) error { blobs++; return nil }); err != nil {
		t.Fatal(err)
	}
	if blobs != len(srcRes) {
		t.Errorf("PostgreSQL holds %d blobs, want one per resource (%d): no orphan", blobs, len(srcRes))
	}
	if err := db.CheckSearchIndex(ctx); err != nil {
		t.Error(err)
	}
	hits, err := db.SearchMemos(ctx, MemoQuery{Limit: 10}, SearchQuery{Terms: []SearchTerm{{Text: "世界"}}}, nil)
	if err != nil || len(hits) != 1 {
		t.Errorf("search 世界 on PostgreSQL: %d hits, %v; want 1", len(hits), err)
	}
	next := Memo{CreatorID: 1, Content: "after the move", Visibility: VisibilityPrivate, Source: SourceWeb}
	if err := db.CreateMemo(ctx, &next, nil); err != nil {
		t.Fatal(err)
	}
	if next.ID != src.lastMemo+1 {
		t.Errorf("the first memo after the restore got id %d, want %d (past the deleted newest memo)", next.ID, src.lastMemo+1)
	}
	u := User{Username: "carol", PasswordHash: "x", Role: RoleUser}
	if err := db.CreateUser(ctx, &u, nil); err != nil || u.ID != 3 {
		t.Errorf("a new user: id %d, %v; want 3", u.ID, err)
	}

	// And back: PostgreSQL → a SQLite snapshot with the same rows.
	back := filepath.Join(t.TempDir(), "back.db")
	if err := SnapshotPostgres(ctx, url, back); err != nil {
		t.Fatal(err)
	}
	info, err := InspectSnapshot(ctx, back)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.StoragePaths) != 0 || len(info.BlobIDs) != len(srcRes) {
		t.Errorf("the snapshot refers to %v on disk and %d blobs; want all %d in the database", info.StoragePaths, len(info.BlobIDs), len(srcRes))
	}
	snapRaw := openRaw(t, back, "")
	for _, tb := range copiedTables {
		if got, want := tableRows(t, snapRaw, tb.name), tableRows(t, pg, tb.name); !slices.Equal(got, want) {
			t.Errorf("%s differs after PostgreSQL → SQLite:\n got %q\nwant %q", tb.name, got, want)
		}
	}
	var mark int64
	if err := snapRaw.Raw("SELECT seq FROM sqlite_sequence WHERE name = 'memos'").Scan(&mark).Error; err != nil || mark != next.ID {
		t.Errorf("the snapshot's memos mark is %d (%v), want %d", mark, err, next.ID)
	}
}

// readBlob reads a whole blob.
func readBlob(t *testing.T, db *DB, id int64) []byte {
	t.Helper()
	r, err := db.OpenBlob(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
