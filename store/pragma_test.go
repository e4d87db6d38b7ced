package store

import (
	"context"
	"testing"

	"github.com/memoria-app/memoria/store/internal/testdb"
)

// TestPragmas checks the connection settings the store relies on: WAL (so
// readers never block the writer), foreign keys, a busy timeout and
// synchronous=NORMAL: SQLite syncs only around checkpoints, and the
// store's syncer (sync.go) makes each commit durable before it is
// acknowledged — see TestEveryAckFollowsASync.
func TestPragmas(t *testing.T) {
	testdb.SQLiteOnly(t, "SQLite's connection pragmas")
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	check := func(pool string, pragma string, want string) {
		t.Helper()
		var got string
		g := db.wconn
		if pool == "read" {
			g = db.read
		}
		if err := g.WithContext(ctx).Raw("PRAGMA " + pragma).Scan(&got).Error; err != nil {
			t.Fatalf("%s pool: PRAGMA %s: %v", pool, pragma, err)
		}
		if got != want {
			t.Errorf("%s pool: PRAGMA %s = %q, want %q", pool, pragma, got, want)
		}
	}
	for _, pool := range []string{"write", "read"} {
		check(pool, "journal_mode", "wal")
		check(pool, "foreign_keys", "1")
		check(pool, "busy_timeout", "10000")
		check(pool, "synchronous", "1")
	}
	check("read", "query_only", "1")
}
