package importmemos

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"

	_ "github.com/mattn/go-sqlite3" // the "sqlite3" database/sql driver
)

// schema is what differs between memos versions.
type schema struct {
	resourceTable string // "resource" (up to v0.25) or "attachment" (v0.26+)
	memoPinned    bool   // memo.pinned (v0.24+) rather than memo_organizer
	organizer     bool   // memo_organizer exists (up to v0.25)
	userSettings  bool
}

// openSource opens a memos database read-only.
func openSource(ctx context.Context, path string) (*sql.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func columns(ctx context.Context, db *sql.DB, table string) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, "SELECT name FROM pragma_table_info(?)", table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		cols[c] = true
	}
	return cols, rows.Err()
}

// detect reads which memos schema the database has, refusing anything
// older than v0.22 or not memos at all.
func detect(ctx context.Context, db *sql.DB) (schema, error) {
	var s schema
	user, err := columns(ctx, db, "user")
	if err != nil {
		return s, err
	}
	memo, err := columns(ctx, db, "memo")
	if err != nil {
		return s, err
	}
	if !user["username"] || !user["password_hash"] || !memo["content"] || !memo["creator_id"] {
		return s, fmt.Errorf("this is not a memos database (no user and memo tables)")
	}
	if !memo["payload"] || !memo["uid"] {
		return s, fmt.Errorf("this memos database is older than v0.22 (memo has no payload or uid column); upgrade memos to v0.22 or later and run it once, then import")
	}
	s.memoPinned = memo["pinned"]
	for _, t := range []string{"attachment", "resource"} {
		cols, err := columns(ctx, db, t)
		if err != nil {
			return s, err
		}
		if cols["storage_type"] && cols["reference"] {
			s.resourceTable = t
			break
		}
	}
	if s.resourceTable == "" {
		return s, fmt.Errorf("this memos database has no resource or attachment table of v0.22 or later (with storage_type and reference)")
	}
	org, err := columns(ctx, db, "memo_organizer")
	if err != nil {
		return s, err
	}
	s.organizer = org["pinned"] && org["memo_id"]
	us, err := columns(ctx, db, "user_setting")
	if err != nil {
		return s, err
	}
	s.userSettings = us["key"] && us["value"]
	return s, nil
}

func (s schema) String() string {
	pinned := "memo.pinned"
	if !s.memoPinned {
		pinned = "memo_organizer"
	}
	return fmt.Sprintf("files in the %s table, pins in %s", s.resourceTable, pinned)
}

// sourceUser is a row of memos' user table with its settings.
type sourceUser struct {
	id                                   int64
	username, nickname, hash, role, stat string
	created, updated                     int64
	telegramID                           int64
	visibility, locale                   string
}

func readUsers(ctx context.Context, db *sql.DB, s schema) ([]sourceUser, error) {
	rows, err := db.QueryContext(ctx, "SELECT id, username, nickname, password_hash, role, row_status, created_ts, updated_ts FROM user ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("read users: %w", err)
	}
	defer rows.Close()
	var out []sourceUser
	byID := map[int64]int{}
	for rows.Next() {
		var u sourceUser
		if err := rows.Scan(&u.id, &u.username, &u.nickname, &u.hash, &u.role, &u.stat, &u.created, &u.updated); err != nil {
			return nil, err
		}
		byID[u.id] = len(out)
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if !s.userSettings {
		return out, nil
	}
	srows, err := db.QueryContext(ctx, "SELECT user_id, key, value FROM user_setting")
	if err != nil {
		return nil, fmt.Errorf("read user settings: %w", err)
	}
	defer srows.Close()
	for srows.Next() {
		var id int64
		var key, value string
		if err := srows.Scan(&id, &key, &value); err != nil {
			return nil, err
		}
		if i, ok := byID[id]; ok {
			applySetting(&out[i], key, value)
		}
	}
	return out, srows.Err()
}

// sourceMemo is a row of memos' memo table with its files.
type sourceMemo struct {
	id                          int64
	uid                         string
	creatorID                   int64
	created, updated            int64
	status, content, visibility string
	pinned                      bool
	files                       []sourceFile
}

// sourceFile is a row of memos' resource (attachment) table, without its
// blob (read only when the file is imported, see blobSource).
type sourceFile struct {
	id                                     int64
	uid, filename, typ, storage, reference string
	created                                int64
	blobSize                               int64 // 0: no blob
}

// blobSource reads the files that memos keeps in its database, one at a
// time, when they are imported.
type blobSource struct {
	db    *sql.DB
	table string // schema.resourceTable
}

func (b blobSource) read(ctx context.Context, id int64) ([]byte, error) {
	var blob []byte
	if err := b.db.QueryRowContext(ctx, "SELECT COALESCE(blob, x'') FROM "+b.table+" WHERE id = ?", id).Scan(&blob); err != nil {
		return nil, fmt.Errorf("read the blob of %s %d: %w", b.table, id, err)
	}
	return blob, nil
}

func readMemos(ctx context.Context, db *sql.DB, s schema) ([]sourceMemo, []sourceFile, error) {
	pinned := "0"
	switch {
	case s.memoPinned:
		pinned = "memo.pinned"
	case s.organizer:
		pinned = "EXISTS (SELECT 1 FROM memo_organizer o WHERE o.memo_id = memo.id AND o.user_id = memo.creator_id AND o.pinned = 1)"
	}
	rows, err := db.QueryContext(ctx, "SELECT id, uid, creator_id, created_ts, updated_ts, row_status, content, visibility, "+pinned+" FROM memo ORDER BY id")
	if err != nil {
		return nil, nil, fmt.Errorf("read memos: %w", err)
	}
	defer rows.Close()
	var memos []sourceMemo
	byID := map[int64]int{}
	for rows.Next() {
		var m sourceMemo
		if err := rows.Scan(&m.id, &m.uid, &m.creatorID, &m.created, &m.updated, &m.status, &m.content, &m.visibility, &m.pinned); err != nil {
			return nil, nil, err
		}
		byID[m.id] = len(memos)
		memos = append(memos, m)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	// memos lists a memo's files newest-updated first; ties by upload order.
	frows, err := db.QueryContext(ctx, "SELECT id, uid, filename, type, storage_type, reference, created_ts, COALESCE(length(blob), 0), memo_id FROM "+
		s.resourceTable+" ORDER BY updated_ts DESC, id ASC")
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", s.resourceTable, err)
	}
	defer frows.Close()
	var loose []sourceFile
	for frows.Next() {
		var f sourceFile
		var memoID sql.NullInt64
		if err := frows.Scan(&f.id, &f.uid, &f.filename, &f.typ, &f.storage, &f.reference, &f.created, &f.blobSize, &memoID); err != nil {
			return nil, nil, err
		}
		if i, ok := byID[memoID.Int64]; ok && memoID.Valid {
			memos[i].files = append(memos[i].files, f)
		} else {
			loose = append(loose, f)
		}
	}
	return memos, loose, frows.Err()
}

// applySetting takes the settings Memoria has a place for from one
// user_setting row; keys differ between memos versions.
func applySetting(u *sourceUser, key, value string) {
	v := strings.Trim(strings.TrimSpace(value), `"`)
	switch key {
	case "USER_SETTING_TELEGRAM_USER_ID", "TELEGRAM_USER_ID", "telegram-user-id":
		var id int64
		if _, err := fmt.Sscan(v, &id); err == nil && id > 0 {
			u.telegramID = id
		}
	case "USER_SETTING_MEMO_VISIBILITY", "MEMO_VISIBILITY", "memo-visibility":
		u.visibility = v
	case "USER_SETTING_LOCALE", "LOCALE", "locale":
		u.locale = v
	case "GENERAL":
		var g struct {
			Locale         string `json:"locale"`
			MemoVisibility string `json:"memoVisibility"`
		}
		if jsonUnmarshal(value, &g) == nil {
			if g.Locale != "" {
				u.locale = g.Locale
			}
			if g.MemoVisibility != "" {
				u.visibility = g.MemoVisibility
			}
		}
	}
}
