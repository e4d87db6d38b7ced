package storetest

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3" // the "sqlite3" driver of SQL

	"github.com/memoria-app/memoria/store"
	"github.com/memoria-app/memoria/store/internal/testdb"
)

// Open opens a store on a new, empty database of the chosen dialect and
// closes it when the test ends. opts.URL, if set, is kept (its own
// database); otherwise it is URL(tb).
func Open(tb testing.TB, opts store.Options) *store.DB {
	tb.Helper()
	if opts.URL == "" {
		opts.URL = URL(tb)
	}
	db, err := store.Open(context.Background(), tb.TempDir(), opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// URL returns the Options.URL of a new, empty database for the test:
// empty on SQLite (the database is the directory given to store.Open), a
// postgres:// URL of a fresh schema on PostgreSQL. Opening it again
// reopens the same database.
func URL(tb testing.TB) string {
	tb.Helper()
	return testdb.URL(tb)
}

// PostgresURL returns the URL of a fresh schema on the PostgreSQL server
// (MEMORIA_TEST_POSTGRES) whatever MEMORIA_TEST_DB says, for a test that
// needs PostgreSQL itself; it skips, with one line, when no server
// answers (fails under MEMORIA_TEST_REQUIRE_POSTGRES=1).
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	return testdb.PostgresURL(tb)
}

// OnPostgres reports whether the tests run on PostgreSQL.
func OnPostgres(tb testing.TB) bool {
	tb.Helper()
	return testdb.OnPostgres(tb)
}

// SQLiteOnly skips, on a PostgreSQL run, a test that is about SQLite
// itself; why says what it tests.
func SQLiteOnly(tb testing.TB, why string) {
	tb.Helper()
	testdb.SQLiteOnly(tb, why)
}

// SQL opens a plain database/sql handle on the database that store.Open
// opens with dir and url (closed when the test ends), for a test that
// reads or changes it behind the store's back. Its SQL is the dialect's
// own: placeholders are ? on SQLite and $1 on PostgreSQL.
func SQL(tb testing.TB, dir, url string) *sql.DB {
	tb.Helper()
	var db *sql.DB
	if url == "" {
		var err error
		if db, err = sql.Open("sqlite3", "file:"+filepath.Join(dir, store.DatabaseFile)+"?_busy_timeout=10000&_foreign_keys=on"); err != nil {
			tb.Fatal(err)
		}
	} else {
		cfg, err := pgx.ParseConfig(url)
		if err != nil {
			tb.Fatal(err)
		}
		db = stdlib.OpenDB(*cfg)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}
