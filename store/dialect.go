package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// One store, two databases. Every query is shared; what differs between
// SQLite and PostgreSQL sits behind two small seams that Open chooses:
//
//   - dialect (this file): the few statements that cannot be written once
//     (a substring test, the search index's migrations, the lock that
//     keeps two processes from migrating at once). It is found from any
//     *gorm.DB (dialectOf), so that a migration step or a query builder
//     holding only a transaction can ask for it.
//   - writePath (write_path.go): how db.tx gets a write committed and
//     durable — SQLite's single writer with group commit and its own WAL
//     sync (writer.go, sync.go), or PostgreSQL's pool with one
//     serializable transaction per write (tx_postgres.go).
//
// Error translation needs no seam: translate (errors.go) knows both
// drivers' error types, and each can only come from its own database.

// dialect is the SQL that differs between the databases.
type dialect interface {
	// contains is a condition that column holds the next argument as a
	// substring, compared byte for byte (no case folding, no wildcards).
	contains(column string) string
	// searchV3 is migration 3 (the first full-text index).
	searchV3(tx *gorm.DB) error
	// searchV7 is migration 7 (the FTS4 index with its queue).
	searchV7(tx *gorm.DB) error
	// fullText is the full-text index (search.go).
	fullText() fullTextIndex
	// lockMigrations keeps every other process from migrating the same
	// database until unlock is called.
	lockMigrations(ctx context.Context, db *gorm.DB) (unlock func(), err error)
}

// dialectOf returns the dialect of the database g talks to.
func dialectOf(g *gorm.DB) dialect {
	if g != nil && g.Dialector != nil && g.Dialector.Name() == postgresName {
		return postgresDialect{}
	}
	return sqliteDialect{}
}

// ErrUnsupported is returned by what the store cannot do yet on
// PostgreSQL; the error says which.
var ErrUnsupported = errors.New("store: not supported on PostgreSQL yet")

// dbKind is the database an Options.URL names.
type dbKind int

const (
	kindSQLite dbKind = iota
	kindPostgres
)

// kindOf says which database url names: empty is SQLite in the data
// directory, postgres:// and postgresql:// are PostgreSQL, anything else
// is an error.
func kindOf(url string) (dbKind, error) {
	switch {
	case url == "":
		return kindSQLite, nil
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return kindPostgres, nil
	}
	scheme, _, ok := strings.Cut(url, "://")
	if !ok {
		scheme = "no scheme"
	}
	return 0, fmt.Errorf("database URL: must be empty (SQLite in the data directory) or a postgres:// or postgresql:// URL, not %s", scheme)
}

// CheckURL reports whether Open accepts url as Options.URL (without
// connecting): empty, or a well-formed postgres:// URL.
func CheckURL(url string) error {
	kind, err := kindOf(url)
	if err != nil || kind != kindPostgres {
		return err
	}
	_, err = postgresConfig(url)
	return err
}

// IsPostgresURL reports whether url names a PostgreSQL database.
func IsPostgresURL(url string) bool {
	kind, err := kindOf(url)
	return err == nil && kind == kindPostgres
}
