package store

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"github.com/memoria-app/memoria/store/internal/testdb"
)

// Helpers of the in-package tests that run on either dialect (see
// internal/testdb: MEMORIA_TEST_DB chooses).

// openTestDB opens a store on a new database of the dialect the tests run
// on, closed when the test ends.
func openTestDB(tb testing.TB, opts Options) *DB {
	tb.Helper()
	if opts.URL == "" {
		opts.URL = testdb.URL(tb)
	}
	db, err := Open(context.Background(), tb.TempDir(), opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// openScratch is openTestDB with a table scratch (x INTEGER NOT NULL)
// for the tests' own writes.
func openScratch(tb testing.TB) *DB {
	tb.Helper()
	db := openTestDB(tb, Options{})
	mustExec(tb, db, "CREATE TABLE scratch (x INTEGER NOT NULL)")
	return db
}

func mustExec(tb testing.TB, db *DB, q string) {
	tb.Helper()
	if err := db.tx(context.Background(), func(tx *gorm.DB) error { return tx.Exec(q).Error }); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
}

func count(tb testing.TB, db *DB, where string) int64 {
	tb.Helper()
	var n int64
	if err := db.read.Raw("SELECT count(*) FROM scratch WHERE " + where).Scan(&n).Error; err != nil {
		tb.Fatal(err)
	}
	return n
}

func insertMarker(x int) func(tx *gorm.DB) error {
	return func(tx *gorm.DB) error { return tx.Exec("INSERT INTO scratch (x) VALUES (?)", x).Error }
}
