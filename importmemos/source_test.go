package importmemos

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"path/filepath"
	"runtime"
	"testing"
)

// TestReadMemosLeavesBlobsInTheDatabase: reading a memos database's memos
// and file rows does not load the files kept as blobs (a database of many
// gigabytes would need as much memory); each blob is read when its file
// is imported.
func TestReadMemosLeavesBlobsInTheDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "memos_prod.db")
	w, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	const files, size = 8, 1 << 20
	stmts := []string{
		`CREATE TABLE memo (id INTEGER PRIMARY KEY, uid TEXT, creator_id INTEGER, created_ts BIGINT, updated_ts BIGINT,
		  row_status TEXT, content TEXT, visibility TEXT, pinned INTEGER)`,
		`CREATE TABLE attachment (id INTEGER PRIMARY KEY, uid TEXT, filename TEXT, blob BLOB, type TEXT, memo_id INTEGER,
		  storage_type TEXT, reference TEXT, created_ts BIGINT, updated_ts BIGINT)`,
		`INSERT INTO memo VALUES (1, 'm', 1, 1650000000, 1650000000, 'NORMAL', 'files', 'PRIVATE', 0)`,
	}
	for _, s := range stmts {
		if _, err := w.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	content := func(i int) []byte { return bytes.Repeat([]byte{byte('a' + i)}, size) }
	for i := range files {
		if _, err := w.Exec(`INSERT INTO attachment VALUES (?, ?, 'f.bin', ?, 'application/octet-stream', 1, 'DATABASE', '', 1650000000, 1650000000)`,
			i+1, string(rune('a'+i)), content(i)); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	db, err := openSource(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := schema{resourceTable: "attachment", memoPinned: true}

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	memos, _, err := readMemos(ctx, db, s)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > files*size/4 {
		t.Fatalf("readMemos allocated %d bytes for %d files of %d bytes: it loads the blobs", got, files, size)
	}
	if len(memos) != 1 || len(memos[0].files) != files {
		t.Fatalf("memos = %+v", memos)
	}
	// Each file still opens with its own bytes.
	src := blobSource{db: db, table: s.resourceTable}
	for _, f := range memos[0].files {
		open, err := opener(ctx, src, t.TempDir(), f)
		if err != nil {
			t.Fatal(err)
		}
		r, err := open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, content(int(f.id-1))) {
			t.Fatalf("file %d: %d bytes, %v; want its blob", f.id, len(got), err)
		}
	}
}
