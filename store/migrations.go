package store

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"
)

// migration is one schema step. Steps are append-only: never edit one that
// has shipped; add a new step instead (using a snapshot of the models it
// needs, not the live ones, once they diverge).
type migration struct {
	version int
	name    string
	up      func(tx *gorm.DB) error
}

var migrations = []migration{
	{1, "initial schema", func(tx *gorm.DB) error {
		return tx.Migrator().CreateTable(
			&userRow{}, &tokenRow{}, &memoRow{}, &memoTagRow{}, &resourceRow{},
			&systemSettingRow{}, &userSettingRow{}, &idempotencyKeyRow{},
			&memoGroupRowV1{}, &cursorRow{},
		)
	}},
	{2, "created_at on memo_groups; indexes for pruning ingest records", func(tx *gorm.DB) error {
		// Existing groups count as created now: they are pruned a full
		// retention period after the upgrade.
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{"ALTER TABLE memo_groups ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0", nil},
			{"UPDATE memo_groups SET created_at = ?", []any{micros(time.Now())}},
			{"CREATE INDEX idx_memo_groups_created_at ON memo_groups (created_at)", nil},
			{"CREATE INDEX idx_idempotency_keys_created_at ON idempotency_keys (created_at)", nil},
		} {
			if err := tx.Exec(q.sql, q.args...).Error; err != nil {
				return err
			}
		}
		return nil
	}},
	{3, "full-text search index", func(tx *gorm.DB) error {
		return dialectOf(tx).searchV3(tx)
	}},
	{4, "telegram chat: link codes, message map, confirmation style, tag", migrateChat},
	{5, "import map", func(tx *gorm.DB) error {
		return tx.Migrator().CreateTable(&importMapRow{})
	}},
	{6, "notifications: settings, outbox, claims, marks", migrateNotify},
	{7, "search index: additions queued and applied once per transaction", func(tx *gorm.DB) error {
		return dialectOf(tx).searchV7(tx)
	}},
	{8, "telegram webhook inbox", migrateTelegramInbox},
	{9, "several processes: change log, shared bot status, sign-in throttle", migrateFeeds},
	{10, "stored files in the database: file_blobs and file_chunks", migrateFileChunks},
	{11, "search index: a repeats column, so common words need not be scored", func(tx *gorm.DB) error {
		return fullTextFor(tx).create(tx.Statement.Context, tx, slog.Default())
	}},
	{12, "search index: memos written by other programs (PostgreSQL)", migrateOutsideWrites},
	{13, "search index: the queue is part of the index (SQLite)", migrateSearchPendingView}, // search_sqlite.go
}

// memoGroupRowV1 is memo_groups as migration 1 created it.
type memoGroupRowV1 struct {
	Key    string   `gorm:"primaryKey;size:191"`
	MemoID int64    `gorm:"not null;index"`
	Memo   *memoRow `gorm:"foreignKey:MemoID;constraint:OnDelete:CASCADE"`
}

func (memoGroupRowV1) TableName() string { return "memo_groups" }

type schemaMigrationRow struct {
	Version   int    `gorm:"primaryKey;autoIncrement:false"`
	Name      string `gorm:"not null"`
	AppliedAt int64  `gorm:"not null"`
}

func (schemaMigrationRow) TableName() string { return "schema_migrations" }

// migrate applies every pending migration, each in its own transaction,
// while no other process migrates the same database.
func migrate(ctx context.Context, db *gorm.DB) error {
	db = db.WithContext(ctx)
	unlock, err := dialectOf(db).lockMigrations(ctx, db)
	if err != nil {
		return err
	}
	defer unlock()
	if err := db.Migrator().AutoMigrate(&schemaMigrationRow{}); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var applied []int
	if err := db.Model(&schemaMigrationRow{}).Pluck("version", &applied).Error; err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	done := map[int]bool{}
	for _, v := range applied {
		done[v] = true
	}
	for _, m := range migrations {
		if done[m.version] {
			continue
		}
		err := db.Transaction(func(tx *gorm.DB) error {
			if err := m.up(tx); err != nil {
				return err
			}
			return tx.Create(&schemaMigrationRow{Version: m.version, Name: m.name, AppliedAt: time.Now().Unix()}).Error
		})
		if err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
		}
	}
	return indexQueuedMemos(db) // search.go
}

// SchemaVersion reports the newest applied migration.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.r(ctx).Model(&schemaMigrationRow{}).Select("COALESCE(MAX(version), 0)").Scan(&v).Error
	return v, err
}
