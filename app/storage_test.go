package app_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/memoria-app/memoria/app"
	"github.com/memoria-app/memoria/store"
	"github.com/memoria-app/memoria/store/storetest"
)

// storage is where one instance keeps its data: Dir (its stored files,
// and on SQLite its database) and DB (empty on SQLite; on a PostgreSQL
// run, MEMORIA_TEST_DB=postgres, the URL of a schema of its own). A test
// that restarts an instance on the same data passes the same storage.
type storage struct {
	Dir string
	DB  string
}

// newStorage is a fresh storage in a new temporary directory.
func newStorage(tb testing.TB) storage { return storageAt(tb, tb.TempDir()) }

// storageAt is a fresh database with its files under dir (which need not
// exist yet).
func storageAt(tb testing.TB, dir string) storage {
	tb.Helper()
	return storage{Dir: dir, DB: storetest.URL(tb)}
}

// use is a startServer option: serve this storage.
func (s storage) use(c *app.Config) { c.DataDir, c.DBURL = s.Dir, s.DB }

// migrated reports whether a store has been opened on this storage (the
// SQLite file exists, or the PostgreSQL schema holds schema_migrations).
func (s storage) migrated(tb testing.TB) bool {
	tb.Helper()
	if s.DB == "" {
		_, err := os.Stat(filepath.Join(s.Dir, store.DatabaseFile))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			tb.Fatal(err)
		}
		return err == nil
	}
	var n int
	if err := storetest.SQL(tb, s.Dir, s.DB).QueryRow(
		"SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'").Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n > 0
}

// storedFiles counts the files stored on this storage, temporary ones
// included: under Dir/files and, once migrated, the database's blobs.
func (s storage) storedFiles(t *testing.T) int {
	t.Helper()
	n := storedFiles(t, s.Dir)
	if !s.migrated(t) {
		return n
	}
	var blobs int
	if err := storetest.SQL(t, s.Dir, s.DB).QueryRow("SELECT COUNT(*) FROM file_blobs").Scan(&blobs); err != nil {
		t.Fatal(err)
	}
	return n + blobs
}

// args is a sub-command of the binary on this storage: cmd, its storage
// flags, then the rest.
func (s storage) args(cmd string, rest ...string) []string {
	return append(append([]string{cmd, "--data", s.Dir}, s.dbFlags()...), rest...)
}

// dbFlags are the binary's flags, after --data Dir, that choose DB.
func (s storage) dbFlags() []string {
	if s.DB == "" {
		return nil
	}
	return []string{"--db", s.DB}
}
