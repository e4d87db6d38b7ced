// Package pgtest gives a test its own PostgreSQL schema: MEMORIA_TEST_POSTGRES
// (default the local server) with a fresh schema t_<random> on the
// search_path, dropped when the test ends. When no server answers the test
// is skipped with one line saying so.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the server the tests use when MEMORIA_TEST_POSTGRES is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// ServerURL is the PostgreSQL server the tests use.
func ServerURL() string {
	if u := os.Getenv("MEMORIA_TEST_POSTGRES"); u != "" {
		return u
	}
	return DefaultURL
}

// URL creates a schema of its own for t and returns a connection URL whose
// search_path is that schema (and nothing else, so that nothing leaks in
// from public). The schema is dropped at cleanup.
func URL(t testing.TB) string {
	t.Helper()
	base := ServerURL()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Skipf("PostgreSQL not reachable at %s: %v", redact(base), err)
	}
	defer conn.Close(context.Background())
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("MEMORIA_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// redact hides a password in a connection URL for the skip line.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "MEMORIA_TEST_POSTGRES"
	}
	return u.Redacted()
}
