package server

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
	"github.com/memoria-app/memoria/store/storetest"
)

// newTestRules opens a store (storetest: SQLite in a temporary directory,
// or a fresh PostgreSQL schema) and the rules on it; the store is closed
// when the test ends (closing it earlier, to inject a fault, is fine: a
// second Close does nothing).
func newTestRules(t *testing.T, cfg rules.Config) (*rules.Rules, *store.DB) {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(context.Background(), dir, store.Options{URL: storetest.URL(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	rl, err := rules.NewRules(db, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return rl, db
}

// discardLog is a logger that writes nowhere.
func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
