package store

import (
	"context"
	"fmt"
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
			&memoGroupRow{}, &cursorRow{},
		)
	}},
	{4, "telegram chat: link codes, message map, confirmation style, tag", migrateChat},
}

type schemaMigrationRow struct {
	Version   int    `gorm:"primaryKey;autoIncrement:false"`
	Name      string `gorm:"not null"`
	AppliedAt int64  `gorm:"not null"`
}

func (schemaMigrationRow) TableName() string { return "schema_migrations" }

// migrate applies every pending migration, each in its own transaction.
func migrate(ctx context.Context, db *gorm.DB) error {
	db = db.WithContext(ctx)
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
	return nil
}

// SchemaVersion reports the newest applied migration.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.r(ctx).Model(&schemaMigrationRow{}).Select("COALESCE(MAX(version), 0)").Scan(&v).Error
	return v, err
}
