package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"gorm.io/gorm"
)

// ErrNotEmpty is returned when the target of a restore — a data
// directory, a PostgreSQL database or schema — already holds something
// that the restore could overwrite.
var ErrNotEmpty = errors.New("the restore target is not empty")

// RestoreSummary says what RestoreSnapshot copied.
type RestoreSummary struct {
	Rows  int64 // rows copied, all tables
	Files int   // files on disk (from the FileSource), now held in the database
	Blobs int   // files the snapshot held in its database, copied
}

// FileSource passes a backup's files on disk to fn, one at a time: the
// storage path its resource names it by and its bytes, which fn reads
// before it returns. fn's error, or its own, stops it.
type FileSource func(ctx context.Context, fn func(storagePath string, r io.Reader) error) error

// RestoreSnapshot restores a backup's database into the PostgreSQL
// database url names. snapshot is a SQLite database file named
// DatabaseFile, a scratch copy that RestoreSnapshot migrates to this
// memoria's schema first. The target (the first schema of its
// search_path) must hold no memoria data (ErrNotEmpty otherwise) and no
// other application's tables; RestoreSnapshot migrates it, then copies
// every table's rows in one transaction, ids kept and sequences set past
// them. The files the snapshot's resources keep on disk come from files
// and go into the database (the resources then name them by BlobRef);
// the ones the snapshot holds in its database are copied. On any error
// the transaction is rolled back: the target holds the empty schema and
// the restore can run again.
func RestoreSnapshot(ctx context.Context, snapshot, url string, files FileSource) (RestoreSummary, error) {
	return restoreSnapshot(ctx, snapshot, url, files, copyHooks{})
}

func restoreSnapshot(ctx context.Context, snapshot, url string, files FileSource, hooks copyHooks) (sum RestoreSummary, err error) {
	if filepath.Base(snapshot) != DatabaseFile {
		return sum, fmt.Errorf("restore: the snapshot must be named %s, not %s", DatabaseFile, filepath.Base(snapshot))
	}
	if !IsPostgresURL(url) {
		return sum, fmt.Errorf("restore: %q is not a PostgreSQL URL", url)
	}
	if err := CheckRestoreTarget(ctx, url); err != nil {
		return sum, err
	}
	// The snapshot may be of an older schema: migrate the scratch copy,
	// so that both sides have the same tables and columns.
	sdb, err := Open(ctx, filepath.Dir(snapshot), Options{})
	if err != nil {
		return sum, fmt.Errorf("open the backup's database: %w", err)
	}
	if err := sdb.Close(); err != nil {
		return sum, fmt.Errorf("close the backup's database: %w", err)
	}
	src, err := gorm.Open(sqliteDialector("file:"+snapshot+"?mode=ro&_query_only=true"), gormConfig(false))
	if err != nil {
		return sum, fmt.Errorf("open the backup's database: %w", err)
	}
	defer closePool(src)
	if s, err := src.DB(); err == nil {
		s.SetMaxOpenConns(1)
	}
	if err := checkKnownTables(ctx, src, "the backup's database"); err != nil {
		return sum, err
	}
	target, err := Open(ctx, "", Options{URL: url, MaxWriters: 2, MaxReaders: 1})
	if err != nil {
		return sum, err
	}
	defer target.Close()

	stx := src.WithContext(ctx).Begin()
	if stx.Error != nil {
		return sum, fmt.Errorf("read the backup's database: %w", stx.Error)
	}
	defer stx.Rollback()
	dtx := target.write.WithContext(ctx).Begin()
	if dtx.Error != nil {
		return sum, fmt.Errorf("restore: %w", translate(dtx.Error))
	}
	committed := false
	defer func() {
		if !committed {
			dtx.Rollback()
		}
	}()
	// Another restore (or a server) on the same target waits here until
	// this one ends, then finds the data and refuses.
	names := make([]string, len(copiedTables))
	for i, t := range copiedTables {
		names[i] = quoteIdent(t.name)
	}
	if err := dtx.Exec("LOCK TABLE " + strings.Join(names, ", ") + " IN ACCESS EXCLUSIVE MODE").Error; err != nil {
		return sum, fmt.Errorf("restore: lock the target's tables: %w", translate(err))
	}
	if full, err := nonEmptyTables(ctx, dtx); err != nil {
		return sum, err
	} else if len(full) > 0 {
		return sum, notEmpty(ctx, dtx, full)
	}
	c := &copier{src: stx, dst: dtx, log: slog.Default(), hooks: hooks}
	c.log.InfoContext(ctx, "restoring the backup's tables into PostgreSQL")
	if err := c.copyAll(ctx); err != nil {
		return sum, fmt.Errorf("restore: %w", err)
	}
	sum.Rows = c.rows
	var blobs int64
	if err := dtx.Raw("SELECT COUNT(*) FROM file_blobs").Scan(&blobs).Error; err != nil {
		return sum, fmt.Errorf("restore: %w", translate(err))
	}
	sum.Blobs = int(blobs)
	c.log.InfoContext(ctx, "moving the backup's files into the database")
	m := blobMover{tx: dtx, buf: make([]byte, BlobChunkSize)}
	if err := files(ctx, func(p string, r io.Reader) error {
		if err := m.move(ctx, p, r); err != nil {
			return fmt.Errorf("file %s: %w", p, translate(err))
		}
		sum.Files++
		return nil
	}); err != nil {
		return sum, fmt.Errorf("restore: %w", err)
	}
	var onDisk int64
	if err := dtx.Raw("SELECT COUNT(*) FROM resources WHERE storage_path NOT LIKE ?", blobRefPrefix+"%").Scan(&onDisk).Error; err != nil {
		return sum, fmt.Errorf("restore: %w", translate(err))
	}
	if onDisk > 0 {
		return sum, fmt.Errorf("restore: %d files the backup's database refers to are not in the backup", onDisk)
	}
	c.log.InfoContext(ctx, "building the search index")
	if err := c.rebuildSearch(ctx); err != nil {
		return sum, fmt.Errorf("restore: %w", err)
	}
	committed = true
	if err := dtx.Commit().Error; err != nil {
		if err = translate(err); errors.Is(err, ErrUnavailable) {
			return sum, fmt.Errorf("restore: the connection was lost during COMMIT, so the restore may or may not be stored: run it again, which refuses if it was (%w)", err)
		}
		return sum, fmt.Errorf("restore: commit: %w", err)
	}
	return sum, nil
}

// CheckRestoreTarget connects to the PostgreSQL database url names and
// reports whether a restore may go into it: its current schema (the
// first of search_path that exists) holds no memoria data (ErrNotEmpty),
// no tables of another application, and no newer memoria schema. It
// changes nothing.
func CheckRestoreTarget(ctx context.Context, url string) error {
	cfg, err := postgresConfig(url)
	if err != nil {
		return err
	}
	g, err := openPostgresPool(ctx, cfg, 1)
	if err != nil {
		return err
	}
	defer closePool(g)
	g = g.WithContext(ctx)
	var schema sql.NullString
	if err := g.Raw("SELECT current_schema()").Scan(&schema).Error; err != nil {
		return fmt.Errorf("restore: %w", translate(err))
	}
	if !schema.Valid {
		return fmt.Errorf("restore: no schema of the URL's search_path exists in the database: create it first (CREATE SCHEMA …)")
	}
	if err := checkKnownTables(ctx, g, "schema "+schema.String+" of the target database"); err != nil {
		return fmt.Errorf("restore: %w; restore into an empty database or a schema of its own", err)
	}
	full, err := nonEmptyTables(ctx, g)
	if err != nil {
		return err
	}
	if len(full) > 0 {
		return notEmpty(ctx, g, full)
	}
	tables, err := listTables(ctx, g)
	if err != nil {
		return err
	}
	for _, t := range tables {
		if t != "schema_migrations" {
			continue
		}
		var v int
		if err := g.Raw("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v).Error; err != nil {
			return fmt.Errorf("restore: %w", translate(err))
		}
		if latest := LatestSchemaVersion(); v > latest {
			return fmt.Errorf("restore: the target database's schema is version %d, newer than this memoria's %d: restore with a newer memoria", v, latest)
		}
	}
	return nil
}

// nonEmptyTables returns the copied tables of g's database that exist
// and hold rows.
func nonEmptyTables(ctx context.Context, g *gorm.DB) ([]string, error) {
	tables, err := listTables(ctx, g)
	if err != nil {
		return nil, err
	}
	var full []string
	for _, t := range tables {
		if !isCopied(t) {
			continue
		}
		var has bool
		if err := g.WithContext(ctx).Raw("SELECT EXISTS (SELECT 1 FROM " + quoteIdent(t) + ")").Scan(&has).Error; err != nil {
			return nil, fmt.Errorf("restore: read %s: %w", t, translate(err))
		}
		if has {
			full = append(full, t)
		}
	}
	return full, nil
}

// notEmpty is the error for a target whose tables full hold rows.
func notEmpty(ctx context.Context, g *gorm.DB, full []string) error {
	var schema string
	g.WithContext(ctx).Raw("SELECT current_schema()").Scan(&schema)
	return fmt.Errorf("%w: schema %s of the target database already holds memoria data (rows in %s); restore only into an empty database or a new schema, so that nothing is overwritten",
		ErrNotEmpty, schema, strings.Join(full, ", "))
}

// blobMover moves files into the database inside the restore's
// transaction, a chunk at a time.
type blobMover struct {
	tx  *gorm.DB
	buf []byte // one chunk, reused
}

// move stores r as a new blob and points the resource whose storage path
// is p at it.
func (m *blobMover) move(ctx context.Context, p string, r io.Reader) error {
	tx := m.tx.WithContext(ctx)
	now := micros(time.Now())
	var id int64
	err := tx.Raw("INSERT INTO file_blobs (size, chunk_size, complete, created_at, touched_at) VALUES (0, ?, false, ?, ?) RETURNING id",
		BlobChunkSize, now, now).Scan(&id).Error
	if err != nil {
		return err
	}
	var size int64
	for seq := int64(0); ; seq++ {
		n, last, err := readChunk(r, m.buf)
		if err != nil {
			return err
		}
		if n > 0 {
			if err := tx.Exec("INSERT INTO file_chunks (blob_id, seq, data) VALUES (?, ?, ?)", id, seq, m.buf[:n]).Error; err != nil {
				return err
			}
			size += int64(n)
		}
		if last {
			break
		}
	}
	if err := tx.Exec("UPDATE file_blobs SET size = ?, complete = true WHERE id = ?", size, id).Error; err != nil {
		return err
	}
	res := tx.Exec("UPDATE resources SET storage_path = ? WHERE storage_path = ?", BlobRef(id), p)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("no resource of the backup's database refers to it")
	}
	return nil
}

// readChunk fills buf from r and reports whether r ended. Only io.EOF
// ends it: any other error, io.ErrUnexpectedEOF (an archive cut short)
// included, is returned.
func readChunk(r io.Reader, buf []byte) (n int, last bool, err error) {
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if errors.Is(err, io.EOF) {
			return n, true, nil
		}
		if err != nil {
			return n, false, err
		}
	}
	return n, false, nil
}
