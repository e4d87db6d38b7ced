package importmemos_test

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
	"golang.org/x/crypto/bcrypt"

	"github.com/memoria-app/memoria/importmemos"
	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
)

// Two memos schemas, as their migrations leave them: v0.22 (resource
// table, pins in memo_organizer, HOST role, a tags column) and v0.26+
// (attachment table, memo.pinned, ADMIN role, GENERAL user setting).
var schemas = map[string]string{
	"v0.22": `
CREATE TABLE user (id INTEGER PRIMARY KEY AUTOINCREMENT, created_ts BIGINT NOT NULL, updated_ts BIGINT NOT NULL,
  row_status TEXT NOT NULL CHECK (row_status IN ('NORMAL', 'ARCHIVED')) DEFAULT 'NORMAL', username TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('HOST', 'ADMIN', 'USER')) DEFAULT 'USER', email TEXT NOT NULL DEFAULT '',
  nickname TEXT NOT NULL DEFAULT '', password_hash TEXT NOT NULL, avatar_url TEXT NOT NULL DEFAULT '', description TEXT NOT NULL DEFAULT '');
CREATE TABLE user_setting (user_id INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, UNIQUE(user_id, key));
CREATE TABLE memo (id INTEGER PRIMARY KEY AUTOINCREMENT, uid TEXT NOT NULL UNIQUE, creator_id INTEGER NOT NULL,
  created_ts BIGINT NOT NULL, updated_ts BIGINT NOT NULL, row_status TEXT NOT NULL DEFAULT 'NORMAL', content TEXT NOT NULL DEFAULT '',
  visibility TEXT NOT NULL CHECK (visibility IN ('PUBLIC', 'PROTECTED', 'PRIVATE')) DEFAULT 'PRIVATE',
  tags TEXT NOT NULL DEFAULT '[]', payload TEXT NOT NULL DEFAULT '{}');
CREATE TABLE memo_organizer (memo_id INTEGER NOT NULL, user_id INTEGER NOT NULL, pinned INTEGER NOT NULL DEFAULT 0, UNIQUE(memo_id, user_id));
CREATE TABLE resource (id INTEGER PRIMARY KEY AUTOINCREMENT, uid TEXT NOT NULL UNIQUE, creator_id INTEGER NOT NULL,
  created_ts BIGINT NOT NULL, updated_ts BIGINT NOT NULL, filename TEXT NOT NULL DEFAULT '', blob BLOB DEFAULT NULL,
  type TEXT NOT NULL DEFAULT '', size INTEGER NOT NULL DEFAULT 0, memo_id INTEGER, storage_type TEXT NOT NULL DEFAULT '',
  reference TEXT NOT NULL DEFAULT '', payload TEXT NOT NULL DEFAULT '{}');`,
	"v0.26": `
CREATE TABLE user (id INTEGER PRIMARY KEY AUTOINCREMENT, created_ts BIGINT NOT NULL, updated_ts BIGINT NOT NULL,
  row_status TEXT NOT NULL DEFAULT 'NORMAL', username TEXT COLLATE BINARY NOT NULL UNIQUE, role TEXT NOT NULL DEFAULT 'USER',
  email TEXT NOT NULL DEFAULT '', nickname TEXT NOT NULL DEFAULT '', password_hash TEXT NOT NULL,
  avatar_url TEXT NOT NULL DEFAULT '', description TEXT NOT NULL DEFAULT '');
CREATE TABLE user_setting (user_id INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, UNIQUE(user_id, key));
CREATE TABLE memo (id INTEGER PRIMARY KEY AUTOINCREMENT, uid TEXT NOT NULL UNIQUE, creator_id INTEGER NOT NULL,
  created_ts BIGINT NOT NULL, updated_ts BIGINT NOT NULL, row_status TEXT NOT NULL DEFAULT 'NORMAL', content TEXT NOT NULL DEFAULT '',
  visibility TEXT NOT NULL DEFAULT 'PRIVATE', pinned INTEGER NOT NULL CHECK (pinned IN (0, 1)) DEFAULT 0, payload TEXT NOT NULL DEFAULT '{}');
CREATE TABLE attachment (id INTEGER PRIMARY KEY AUTOINCREMENT, uid TEXT NOT NULL UNIQUE, creator_id INTEGER NOT NULL,
  created_ts BIGINT NOT NULL, updated_ts BIGINT NOT NULL, filename TEXT NOT NULL DEFAULT '', blob BLOB DEFAULT NULL,
  type TEXT NOT NULL DEFAULT '', size INTEGER NOT NULL DEFAULT 0, memo_id INTEGER, storage_type TEXT NOT NULL DEFAULT '',
  reference TEXT NOT NULL DEFAULT '', payload TEXT NOT NULL DEFAULT '{}');`,
}

const (
	hostPassword = "the old memos password"
	bobPassword  = "bob's password here"
)

var (
	photo = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte("local file "), 100)...)
	blob  = []byte("a PDF kept as a blob in the database")
)

// fixture writes a memos database of the given schema with a local file in
// assets/ beside it, and returns the database's path.
func fixture(t *testing.T, version string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "assets"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "assets", "1700000000_photo.png"), photo, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "memos_prod.db")
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	hash := func(pw string) string {
		h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		return string(h)
	}
	files, hostRole := "resource", "HOST"
	telegram := `(2, 'USER_SETTING_TELEGRAM_USER_ID', '424242'), (2, 'USER_SETTING_MEMO_VISIBILITY', 'PROTECTED')`
	if version != "v0.22" {
		files, hostRole = "attachment", "ADMIN"
		telegram = `(2, 'USER_SETTING_TELEGRAM_USER_ID', '"424242"'), (2, 'GENERAL', '{"locale":"de","memoVisibility":"PROTECTED"}')`
	}
	stmts := []string{schemas[version],
		`INSERT INTO user (id, created_ts, updated_ts, row_status, username, role, nickname, password_hash) VALUES
		 (1, 1600000000, 1600000100, 'NORMAL', 'hoster', '` + hostRole + `', 'The Host', '` + hash(hostPassword) + `'),
		 (2, 1600001000, 1600001000, 'NORMAL', 'bob', 'USER', '', '` + hash(bobPassword) + `'),
		 (3, 1600002000, 1600002000, 'ARCHIVED', 'ghost', 'USER', '', '` + hash("ghost password") + `'),
		 (4, 1600003000, 1600003000, 'NORMAL', 'bad name!', 'USER', '', '` + hash("whatever pw") + `')`,
		`INSERT INTO user_setting (user_id, key, value) VALUES ` + telegram,
		`INSERT INTO memo (id, uid, creator_id, created_ts, updated_ts, row_status, content, visibility) VALUES
		 (1, 'uid-pinned', 1, 1650000000, 1650000500, 'NORMAL', 'hello #tag1 and #tag2, not #3', 'PUBLIC'),
		 (2, 'uid-files', 1, 1650001000, 1650001000, 'NORMAL', 'two files', 'PRIVATE'),
		 (3, 'uid-archived', 2, 1650002000, 1650002100, 'ARCHIVED', 'archived #old', 'PROTECTED'),
		 (4, 'uid-badname', 4, 1650003000, 1650003000, 'NORMAL', 'from a skipped user', 'PRIVATE'),
		 (5, 'uid-missing', 2, 1650004000, 1650004000, 'NORMAL', 'its file is gone', 'PRIVATE'),
		 (6, 'uid-external', 2, 1650005000, 1650005000, 'NORMAL', 'an external link', 'PRIVATE')`,
		`INSERT INTO ` + files + ` (id, uid, creator_id, created_ts, updated_ts, filename, blob, type, size, memo_id, storage_type, reference) VALUES
		 (1, 'r-local', 1, 1650001000, 1650001000, 'photo.png', NULL, 'image/png', ` + itoa(len(photo)) + `, 2, 'LOCAL', 'assets/1700000000_photo.png'),
		 (2, 'r-blob', 1, 1650001001, 1650001000, 'paper.pdf', ?, 'application/pdf', ` + itoa(len(blob)) + `, 2, 'DATABASE', ''),
		 (3, 'r-missing', 2, 1650004000, 1650004000, 'gone.jpg', NULL, 'image/jpeg', 10, 5, 'LOCAL', 'assets/gone.jpg'),
		 (4, 'r-external', 2, 1650005000, 1650005000, 'link.png', NULL, 'image/png', 0, 6, 'EXTERNAL', 'https://example.com/link.png'),
		 (5, 'r-loose', 2, 1650006000, 1650006000, 'loose.txt', x'6c6f6f7365', 'text/plain', 5, NULL, 'DATABASE', '')`,
	}
	if version == "v0.22" {
		stmts = append(stmts, `INSERT INTO memo_organizer (memo_id, user_id, pinned) VALUES (1, 1, 1), (2, 2, 1)`)
	} else {
		stmts = append(stmts, `UPDATE memo SET pinned = 1 WHERE id = 1`)
	}
	for _, s := range stmts {
		args := []any{}
		if strings.Contains(s, "?") {
			args = append(args, blob)
		}
		if _, err := db.Exec(s, args...); err != nil {
			t.Fatalf("fixture %s: %v\n%s", version, err, s)
		}
	}
	return path
}

func itoa(n int) string { return strconv.Itoa(n) }

// memoria is a fresh Memoria data directory with its store and rules.
func memoria(t *testing.T) (*store.DB, *rules.Rules, string) {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(context.Background(), dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	rl, err := rules.NewRules(db, dir, rules.Config{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	return db, rl, dir
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	root := filepath.Join(dir, "files")
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		rel, _ := filepath.Rel(root, p)
		if err == nil && !d.IsDir() && !strings.HasPrefix(rel, "tmp"+string(filepath.Separator)) {
			n++
		}
		return nil
	})
	return n
}

// TestImportMemos imports each schema's fixture, checks every user, memo,
// tag, pin, time and file byte, signs in with the old passwords, then
// imports again and finds nothing new.
func TestImportMemos(t *testing.T) {
	for version := range schemas {
		t.Run(version, func(t *testing.T) {
			src := fixture(t, version)
			db, rl, dir := memoria(t)
			ctx := context.Background()
			rep, err := importmemos.Import(ctx, rl, src)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("report:\n%s", rep)
			counts := []int{rep.UsersImported, rep.UsersSkipped, rep.MemosImported, rep.MemosSkipped, rep.ResourcesImported, rep.ResourcesSkipped, rep.ArchivedMemos}
			// 3 users (bad name skipped); memos 1, 2, 3 (4: its user, 5:
			// file gone, 6: external link); 2 files (gone, external, loose skipped).
			if want := []int{3, 1, 3, 3, 2, 3, 1}; !slices.Equal(counts, want) {
				t.Errorf("counts %v, want %v", counts, want)
			}
			for _, frag := range []string{`"bad name!"`, "uid-missing", "not found", "uid-external", "external link", "loose.txt", "attached to no memo", "disabled"} {
				if !strings.Contains(rep.String(), frag) {
					t.Errorf("report does not mention %q", frag)
				}
			}

			// Users: roles, names, times, settings; the old passwords work.
			host, err := db.GetUserByUsername(ctx, "hoster")
			if err != nil {
				t.Fatal(err)
			}
			if host.Role != store.RoleAdmin || host.DisplayName != "The Host" || !host.CreatedAt.Equal(time.Unix(1600000000, 0)) || !host.UpdatedAt.Equal(time.Unix(1600000100, 0)) {
				t.Errorf("hoster imported as %+v", host)
			}
			if _, _, err := rl.SignIn(ctx, "hoster", hostPassword); err != nil {
				t.Errorf("sign in with the old memos password: %v", err)
			}
			bob, _, err := rl.SignIn(ctx, "bob", bobPassword)
			if err != nil {
				t.Fatalf("bob signs in: %v", err)
			}
			if bob.Role != store.RoleUser {
				t.Errorf("bob's role %s", bob.Role)
			}
			if _, _, err := rl.SignIn(ctx, "ghost", "ghost password"); rules.ErrorCode(err) != rules.CodeUnauthenticated {
				t.Errorf("an account archived in memos signs in: %v", err)
			}
			bs, err := db.GetUserSettings(ctx, bob.ID)
			if err != nil {
				t.Fatal(err)
			}
			if bs.TelegramUserID != 424242 || bs.DefaultVisibility != store.VisibilityProtected {
				t.Errorf("bob's settings %+v", bs)
			}
			if linked, err := db.GetUserByTelegramID(ctx, 424242); err != nil || linked.ID != bob.ID {
				t.Errorf("Telegram id 424242 → %v, %v", linked, err)
			}

			// Memos: content, visibility, pin, times, tags, files in order.
			hm, err := db.ListMemos(ctx, store.MemoQuery{CreatorID: host.ID, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			if len(hm) != 2 {
				t.Fatalf("hoster has %d memos, want 2", len(hm))
			}
			pinned, files := hm[0], hm[1] // pinned first
			if pinned.Content != "hello #tag1 and #tag2, not #3" || pinned.Visibility != store.VisibilityPublic || !pinned.Pinned ||
				!slices.Equal(pinned.Tags, []string{"tag1", "tag2"}) || !pinned.CreatedAt.Equal(time.Unix(1650000000, 0)) || !pinned.UpdatedAt.Equal(time.Unix(1650000500, 0)) {
				t.Errorf("pinned memo imported as %+v", pinned)
			}
			if files.Content != "two files" || files.Visibility != store.VisibilityPrivate || files.Pinned || len(files.Resources) != 2 {
				t.Fatalf("memo with files imported as %+v", files)
			}
			wantFiles := []struct {
				name, typ string
				body      []byte
			}{{"photo.png", "image/png", photo}, {"paper.pdf", "application/pdf", blob}}
			for i, w := range wantFiles {
				r := files.Resources[i]
				_, f, err := rl.OpenResource(rules.WithActor(ctx, &rules.Actor{User: host}), r.ID)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(f)
				f.Close()
				if r.Filename != w.name || r.Type != w.typ || r.Size != int64(len(w.body)) || !bytes.Equal(got, w.body) {
					t.Errorf("resource %d: %s %s %d bytes, want %s %s %d", i, r.Filename, r.Type, len(got), w.name, w.typ, len(w.body))
				}
			}
			bm, err := db.ListMemos(ctx, store.MemoQuery{CreatorID: bob.ID, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			if len(bm) != 1 || bm[0].Content != "archived #old" || bm[0].Visibility != store.VisibilityProtected || !slices.Equal(bm[0].Tags, []string{"old"}) {
				t.Errorf("bob's memos %+v", bm)
			}

			// Again: nothing new, nothing twice.
			filesBefore := countFiles(t, dir)
			again, err := importmemos.Import(ctx, rl, src)
			if err != nil {
				t.Fatal(err)
			}
			if again.UsersImported != 0 || again.MemosImported != 0 || again.ResourcesImported != 0 || again.UsersExisting != 3 || again.MemosExisting != 3 {
				t.Errorf("second run: %+v", again)
			}
			all, err := db.ListMemos(ctx, store.MemoQuery{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			users, _ := db.ListUsers(ctx, 0, 100)
			if len(all) != 3 || len(users) != 3 || countFiles(t, dir) != filesBefore || filesBefore != 2 {
				t.Errorf("after the second run: %d memos, %d users, %d files (were %d)", len(all), len(users), countFiles(t, dir), filesBefore)
			}

			// A memo skipped for its missing file comes in once the file is there.
			if err := os.WriteFile(filepath.Join(filepath.Dir(src), "assets", "gone.jpg"), []byte("found again"), 0o644); err != nil {
				t.Fatal(err)
			}
			third, err := importmemos.Import(ctx, rl, src)
			if err != nil {
				t.Fatal(err)
			}
			if third.MemosImported != 1 || third.ResourcesImported != 1 {
				t.Errorf("third run, after restoring the missing file: %+v", third)
			}
		})
	}
}

// TestImportRefusesOtherDatabases: a pre-v0.22 memos database and a file
// that is not memos are refused with a message that says so.
func TestImportRefusesOtherDatabases(t *testing.T) {
	cases := map[string]struct{ sql, want string }{
		"memos v0.21": {`CREATE TABLE user (id INTEGER PRIMARY KEY, username TEXT, password_hash TEXT);
			CREATE TABLE memo (id INTEGER PRIMARY KEY, creator_id INTEGER, content TEXT, resource_name TEXT)`, "older than v0.22"},
		"not memos": {`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)`, "not a memos database"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.db")
			db, err := sql.Open("sqlite3", "file:"+path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(tc.sql); err != nil {
				t.Fatal(err)
			}
			db.Close()
			_, rl, _ := memoria(t)
			if _, err := importmemos.Import(context.Background(), rl, path); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Import = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
