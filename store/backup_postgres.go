package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"

	"gorm.io/gorm"
)

// SnapshotPostgres writes a consistent copy of the PostgreSQL database url
// names to dest, which must not exist, as a SQLite database — the same
// kind of file Snapshot makes, so a backup restores into either database.
// Every table's rows are read in one REPEATABLE READ, READ ONLY
// transaction, which sees one committed state and blocks no writer, so
// the servers may keep running; they are written into a new SQLite
// database made by this memoria's migrations (its search index built
// from the memos, its AUTOINCREMENT marks set from the sequences). The
// source is neither migrated nor changed, and must have this memoria's
// schema version. dest is not synced; the caller copies it into an
// archive and syncs that.
func SnapshotPostgres(ctx context.Context, url, dest string) error {
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("snapshot: %s exists", dest)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	cfg, err := postgresConfig(url)
	if err != nil {
		return err
	}
	pg, err := openPostgresPool(ctx, cfg, 1)
	if err != nil {
		return err
	}
	defer closePool(pg)
	stx := pg.WithContext(ctx).Begin(&sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if stx.Error != nil {
		return fmt.Errorf("snapshot: %w", translate(stx.Error))
	}
	defer stx.Rollback()
	if err := checkSnapshotSource(ctx, stx); err != nil {
		return err
	}

	work, err := os.MkdirTemp(filepath.Dir(dest), ".memoria-snapshot-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	fresh, err := Open(ctx, work, Options{})
	if err != nil {
		return fmt.Errorf("snapshot: create the SQLite database: %w", err)
	}
	if err := fresh.Close(); err != nil {
		return fmt.Errorf("snapshot: create the SQLite database: %w", err)
	}
	file := filepath.Join(work, DatabaseFile)
	if err := copyIntoSQLite(ctx, stx, file); err != nil {
		return err
	}
	return os.Rename(file, dest)
}

// checkSnapshotSource refuses a source that is not a memoria database of
// exactly this memoria's schema, or that holds tables a copy would miss.
func checkSnapshotSource(ctx context.Context, src *gorm.DB) error {
	tables, err := listTables(ctx, src)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	if !slices.Contains(tables, "schema_migrations") {
		return fmt.Errorf("snapshot: %w in the PostgreSQL database (no schema_migrations in its current schema)", ErrNoDatabase)
	}
	var v int
	if err := src.WithContext(ctx).Raw("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v).Error; err != nil {
		return fmt.Errorf("snapshot: read the schema version: %w", translate(err))
	}
	switch latest := LatestSchemaVersion(); {
	case v > latest:
		return fmt.Errorf("snapshot: the database's schema is version %d, newer than this memoria's %d: back it up with the memoria that uses it", v, latest)
	case v < latest:
		return fmt.Errorf("snapshot: the database's schema is version %d, older than this memoria's %d: back it up with the memoria that uses it, or start this one on it once (which migrates it)", v, latest)
	}
	return checkKnownTables(ctx, src, "the database")
}

// copyIntoSQLite copies every table from src, an open transaction on
// PostgreSQL, into the migrated, empty SQLite database file, in one
// transaction, and builds its search index. The file is left in
// rollback-journal mode, whole without a -wal beside it.
func copyIntoSQLite(ctx context.Context, src *gorm.DB, file string) error {
	dst, err := gorm.Open(sqliteDialector("file:"+file+"?_foreign_keys=on&_journal_mode=DELETE&_synchronous=OFF&_busy_timeout=10000"), gormConfig(false))
	if err != nil {
		return fmt.Errorf("snapshot: open %s: %w", file, err)
	}
	defer closePool(dst)
	if s, err := dst.DB(); err == nil {
		s.SetMaxOpenConns(1)
	}
	dtx := dst.WithContext(ctx).Begin()
	if dtx.Error != nil {
		return fmt.Errorf("snapshot: %w", dtx.Error)
	}
	defer dtx.Rollback()
	c := &copier{src: src, dst: dtx, log: slog.Default()}
	if err := c.copyAll(ctx); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	if err := c.rebuildSearch(ctx); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	if err := dtx.Commit().Error; err != nil {
		return fmt.Errorf("snapshot: commit: %w", translate(err))
	}
	return nil
}
