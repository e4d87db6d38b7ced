package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// DatabaseFile is the name of the SQLite database inside the data
// directory.
const DatabaseFile = "memoria.db"

// LatestSchemaVersion is the newest schema version (migration) this binary
// knows; a database or backup of a newer version needs a newer binary.
func LatestSchemaVersion() int {
	latest := 0
	for _, m := range migrations {
		latest = max(latest, m.version)
	}
	return latest
}

// ErrNoDatabase is returned when a data directory holds no database.
var ErrNoDatabase = errors.New("no memoria database")

// Snapshot writes a consistent copy of the SQLite database in dataDir to
// dest, which must not exist. It is safe while a server in this or another
// process reads and writes the database: the copy is taken inside one read
// transaction (VACUUM INTO), which WAL lets run beside the writer without
// blocking it. The source is neither migrated nor changed. dest is not
// synced; the caller copies it into an archive and syncs that.
func Snapshot(ctx context.Context, dataDir, dest string) error {
	src := filepath.Join(dataDir, DatabaseFile)
	if _, err := os.Stat(src); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w in %s (no %s)", ErrNoDatabase, dataDir, DatabaseFile)
	} else if err != nil {
		return err
	}
	q := url.Values{}
	q.Set("mode", "rw") // never create a database that is not there
	q.Set("_busy_timeout", "10000")
	db, err := sql.Open(sqliteDriver(), "file:"+src+"?"+q.Encode())
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", dest); err != nil {
		return fmt.Errorf("snapshot %s: %w", src, err)
	}
	return nil
}

// SnapshotInfo describes a database snapshot.
type SnapshotInfo struct {
	// SchemaVersion is the newest migration applied to the snapshot.
	SchemaVersion int
	// StoragePaths are the resources' files on disk: their paths
	// (relative to the file store, slash-separated), sorted, without
	// duplicates.
	StoragePaths []string
	// BlobIDs are the resources' files held in the database itself (see
	// BlobRef), sorted: the snapshot carries their bytes, each checked
	// complete.
	BlobIDs []int64
}

// InspectSnapshot opens a snapshot (or any stopped database file)
// read-only, checks its integrity and reports its schema version and the
// files its resources refer to. A storage path that would leave the file
// store is an error, and so is a database-held file whose bytes the
// snapshot lacks (incomplete, or a chunk missing or short).
func InspectSnapshot(ctx context.Context, file string) (SnapshotInfo, error) {
	var info SnapshotInfo
	if _, err := os.Stat(file); err != nil {
		return info, err
	}
	db, err := sql.Open(sqliteDriver(), "file:"+file+"?mode=ro&immutable=1")
	if err != nil {
		return info, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var check string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&check); err != nil {
		return info, fmt.Errorf("check database: %w", err)
	}
	if check != "ok" {
		return info, fmt.Errorf("the database is damaged: %s", check)
	}
	if err := db.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&info.SchemaVersion); err != nil {
		return info, fmt.Errorf("read schema version: %w", err)
	}
	rows, err := db.QueryContext(ctx, "SELECT DISTINCT storage_path FROM resources ORDER BY storage_path")
	if err != nil {
		return info, fmt.Errorf("list resources: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return info, err
		}
		if id, ok := ParseBlobRef(p); ok {
			info.BlobIDs = append(info.BlobIDs, id)
			continue
		}
		clean, ok := CleanStoragePath(p)
		if !ok {
			return info, fmt.Errorf("a resource has the storage path %q, which is outside the file store", p)
		}
		info.StoragePaths = append(info.StoragePaths, clean)
	}
	if err := rows.Err(); err != nil {
		return info, err
	}
	slices.Sort(info.BlobIDs)
	for _, id := range info.BlobIDs {
		if err := checkBlob(ctx, db, id); err != nil {
			return info, err
		}
	}
	return info, nil
}

// checkBlob verifies that a snapshot holds all of blob id's bytes: the
// header complete, every chunk there with the length the size implies.
func checkBlob(ctx context.Context, db *sql.DB, id int64) error {
	var size, chunkSize, chunks, total, last int64
	var complete bool
	err := db.QueryRowContext(ctx, `SELECT b.size, b.chunk_size, b.complete, COUNT(c.seq), COALESCE(SUM(LENGTH(c.data)), 0), COALESCE(MAX(c.seq), -1)
		FROM file_blobs b LEFT JOIN file_chunks c ON c.blob_id = b.id WHERE b.id = ? GROUP BY b.id`, id).
		Scan(&size, &chunkSize, &complete, &chunks, &total, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("a resource's file %s is not in the database", BlobRef(id))
	}
	if err != nil {
		return fmt.Errorf("check the file %s: %w", BlobRef(id), err)
	}
	want := int64(0)
	if chunkSize > 0 {
		want = (size + chunkSize - 1) / chunkSize
	}
	if !complete || chunkSize <= 0 || chunks != want || last != want-1 || total != size {
		return fmt.Errorf("a resource's file %s is incomplete in the database: %d of its %d bytes, in %d chunks (want %d)", BlobRef(id), total, size, chunks, want)
	}
	return nil
}

// CleanStoragePath returns a resource storage path in slash form and
// whether it stays inside the file store (relative, no "..").
func CleanStoragePath(p string) (string, bool) {
	s := filepath.ToSlash(p)
	c := path.Clean(s)
	if s == "" || c != s || path.IsAbs(c) || c == "." || c == ".." || strings.HasPrefix(c, "../") {
		return "", false
	}
	return c, true
}
