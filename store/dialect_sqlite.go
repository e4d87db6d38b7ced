package store

import (
	"context"
	"log/slog"

	"gorm.io/gorm"
)

// sqliteDialect is SQLite's SQL (see dialect.go).
type sqliteDialect struct{}

func (sqliteDialect) contains(column string) string { return "instr(" + column + ", ?) > 0" }

func (sqliteDialect) searchV3(tx *gorm.DB) error {
	return createSearchV3(tx.Statement.Context, tx, slog.Default()) // search_sqlite_v3.go
}

// searchV7 is migration 7: the index as it is today (migration 11 makes
// it again; see docs/search.md).
func (sqliteDialect) searchV7(tx *gorm.DB) error {
	return sqliteFTS{}.create(tx.Statement.Context, tx, slog.Default())
}

func (sqliteDialect) fullText() fullTextIndex { return sqliteFTS{} }

// lockMigrations locks nothing: one process owns a SQLite database (only
// PostgreSQL is shared by several).
func (sqliteDialect) lockMigrations(context.Context, *gorm.DB) (func(), error) {
	return func() {}, nil
}
