package testdb

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Environment variables and defaults.
const (
	EnvDialect        = "MEMORIA_TEST_DB"
	EnvPostgres       = "MEMORIA_TEST_POSTGRES"
	EnvRequire        = "MEMORIA_TEST_REQUIRE_POSTGRES"
	DefaultPostgres   = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	connectTimeout    = 3 * time.Second
	dropSchemaTimeout = "10s"
)

// Dialects.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Dialect is the database tests run on (MEMORIA_TEST_DB); an unknown
// value fails the test.
func Dialect(tb testing.TB) string {
	tb.Helper()
	switch d := os.Getenv(EnvDialect); d {
	case "", SQLite:
		return SQLite
	case Postgres, "postgresql":
		return Postgres
	default:
		tb.Fatalf("%s=%q: want %s (default) or %s", EnvDialect, d, SQLite, Postgres)
		return ""
	}
}

// OnPostgres reports whether tests run on PostgreSQL.
func OnPostgres(tb testing.TB) bool { tb.Helper(); return Dialect(tb) == Postgres }

// SQLiteOnly skips a test that is about SQLite itself on a PostgreSQL run;
// why says what it tests.
func SQLiteOnly(tb testing.TB, why string) {
	tb.Helper()
	if OnPostgres(tb) {
		tb.Skip("SQLite only: " + why)
	}
}

// PostgresOnly skips a test that is about PostgreSQL itself on a SQLite
// run.
func PostgresOnly(tb testing.TB) {
	tb.Helper()
	if !OnPostgres(tb) {
		tb.Skipf("PostgreSQL only: run with %s=%s", EnvDialect, Postgres)
	}
}

// server is the PostgreSQL server as probed once per test binary.
type server struct {
	base  string  // MEMORIA_TEST_POSTGRES
	admin *sql.DB // a small pool on it, for creating and dropping schemas
	err   error   // why it is not reachable
}

var (
	probeOnce sync.Once
	probed    server
)

// probe connects to the server once; later calls return the same result.
func probe() server {
	probeOnce.Do(func() {
		probed.base = os.Getenv(EnvPostgres)
		if probed.base == "" {
			probed.base = DefaultPostgres
		}
		cfg, err := pgx.ParseConfig(probed.base)
		if err != nil {
			probed.err = err
			return
		}
		if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > connectTimeout {
			cfg.ConnectTimeout = connectTimeout
		}
		db := stdlib.OpenDB(*cfg)
		db.SetMaxOpenConns(4)
		if err := db.Ping(); err != nil {
			db.Close()
			probed.err = err
			return
		}
		probed.admin = db
	})
	return probed
}

// Admin returns a connection pool to the PostgreSQL server itself (not a
// test's schema), for tests that act on the server: terminating a
// backend, reading pg_stat_activity. It skips the test when the server is
// not reachable.
func Admin(tb testing.TB) *sql.DB {
	tb.Helper()
	s := probe()
	if s.err != nil {
		msg := fmt.Sprintf("PostgreSQL not reachable at %s: %v", redact(s.base), s.err)
		if os.Getenv(EnvRequire) == "1" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return s.admin
}

// URL returns the database URL for one test: empty on SQLite (the store
// then uses its directory), on PostgreSQL the server's URL with
// search_path set to a new schema, dropped when the test ends. Call it
// once per database the test needs; opening the same URL again reopens
// the same database.
func URL(tb testing.TB) string {
	tb.Helper()
	if !OnPostgres(tb) {
		return ""
	}
	return PostgresURL(tb)
}

// PostgresURL is URL on PostgreSQL whatever the tests run on, for a test
// that is about PostgreSQL itself (several processes on one database); it
// skips the test when the server is not reachable.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	admin := Admin(tb)
	var b [8]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		tb.Fatalf("create test schema: %v", err)
	}
	tb.Cleanup(func() { dropSchema(tb, admin, schema) })
	u, err := url.Parse(probe().base)
	if err != nil {
		tb.Fatalf("%s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// dropSchema drops a test's schema; a session of the test still holding a
// lock in it makes the drop give up after a while (the schema is left).
func dropSchema(tb testing.TB, admin *sql.DB, schema string) {
	tx, err := admin.Begin()
	if err == nil {
		_, err = tx.Exec("SET LOCAL lock_timeout = '" + dropSchemaTimeout + "'")
		if err == nil {
			_, err = tx.Exec("DROP SCHEMA " + schema + " CASCADE")
		}
		if err == nil {
			err = tx.Commit()
		} else {
			tx.Rollback()
		}
	}
	if err != nil {
		tb.Logf("drop test schema %s: %v", schema, err)
	}
}

// redact hides a password in a URL for messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
