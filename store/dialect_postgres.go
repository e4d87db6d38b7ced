package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
)

// postgresName is gorm's name for the PostgreSQL dialector.
const postgresName = "postgres"

// postgresDialect is PostgreSQL's SQL (see dialect.go).
type postgresDialect struct{}

func (postgresDialect) contains(column string) string { return "strpos(" + column + ", ?) > 0" }

// searchV3 and searchV7 create nothing: migrations 3 and 7 made SQLite's
// FTS4 layouts, and PostgreSQL's index is created by migration 11.
func (postgresDialect) searchV3(*gorm.DB) error { return nil }
func (postgresDialect) searchV7(*gorm.DB) error { return nil }

func (postgresDialect) fullText() fullTextIndex { return postgresFTS{} } // search_postgres.go

// migrationLockClass is the first key of the advisory lock that
// serialises migrations ("memo"); the second is the schema's hash, so
// that stores in different schemas of one database (tests) do not wait
// for each other. The two-key form never meets a one-key (bigint) lock.
const migrationLockClass = 0x6d656d6f

// lockMigrations takes a transaction-level advisory lock on a connection
// of its own and holds it until unlock: a second process starting at the
// same moment waits, then finds every migration applied. If this process
// dies, its session ends and the lock with it.
func (postgresDialect) lockMigrations(ctx context.Context, db *gorm.DB) (func(), error) {
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock migrations: %w", err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err == nil {
		_, err = tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))", migrationLockClass)
		if err != nil {
			tx.Rollback()
		}
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("lock migrations: %w", err)
	}
	return func() {
		tx.Rollback() // ends the transaction, and the lock with it
		conn.Close()
	}, nil
}

// postgresConfig parses a postgres:// URL into pgx's configuration and
// adds what the store relies on: synchronous_commit=on on every
// connection (a COMMIT returns only once the WAL is flushed: see
// docs/durability.md), whatever the server's, database's or role's
// default; a bounded connect timeout; an application_name; and the
// marker memoria.store=on (search_outside.go). A URL may
// choose another synchronous_commit level, but not off.
func postgresConfig(url string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(url) // its errors hide the password
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	params := cfg.RuntimeParams
	switch v, ok := params["synchronous_commit"]; strings.ToLower(strings.TrimSpace(v)) {
	case "off", "false", "no", "0":
		return nil, fmt.Errorf("database URL: synchronous_commit=%s would acknowledge writes before they are durable; leave it out (memoria uses on)", v)
	default:
		if !ok {
			params["synchronous_commit"] = "on"
		}
	}
	if _, ok := params["application_name"]; !ok {
		params["application_name"] = "memoria"
	}
	params[pgStoreMarker] = "on" // the triggers' sign of the store's own writes (search_outside.go)
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	return cfg, nil
}
