package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"gorm.io/gorm"

	"github.com/memoria-app/memoria/store/internal/testdb"
)

// syncSpy wraps the WAL's sync: it counts syncs and remembers, for the
// completed ones, how many commits had happened when each began.
type syncSpy struct {
	db      *DB
	calls   atomic.Uint64
	covered atomic.Uint64 // max over completed syncs of db.commits at their start
	fail    atomic.Pointer[error]
}

func spyOn(db *DB) *syncSpy {
	s := &syncSpy{db: db}
	real := db.wal.syncFile
	db.wal.syncFile = func(f *os.File) error {
		s.calls.Add(1)
		if p := s.fail.Load(); p != nil {
			return *p
		}
		start := db.commits.Load()
		if err := real(f); err != nil {
			return err
		}
		for {
			c := s.covered.Load()
			if start <= c || s.covered.CompareAndSwap(c, start) {
				return nil
			}
		}
	}
	return s
}

// TestEveryAckFollowsASync: many concurrent writers; each write notes the
// commits made before its own group (its group's sequence number is one
// more: the writer is serial) and, once acknowledged, checks that a
// completed sync began after its group committed. At most one sync per
// commit.
func TestEveryAckFollowsASync(t *testing.T) {
	db := openHooked(t)
	spy := spyOn(db)
	before := db.WriteStats()
	const writers, each = 16, 40
	var wg sync.WaitGroup
	var uncovered atomic.Int64
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				var prior uint64
				err := db.tx(context.Background(), func(tx *gorm.DB) error {
					prior = db.commits.Load()
					return tx.Exec("INSERT INTO scratch (x) VALUES (?)", w*each+i).Error
				})
				if err != nil {
					t.Error(err)
					return
				}
				if spy.covered.Load() < prior+1 {
					uncovered.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if n := uncovered.Load(); n > 0 {
		t.Errorf("%d of %d writes acknowledged before a sync that began after their commit", n, writers*each)
	}
	st := db.WriteStats()
	commits, syncs := st.Commits-before.Commits, spy.calls.Load()
	if syncs == 0 || syncs > commits {
		t.Errorf("%d syncs for %d commits, want 1 ≤ syncs ≤ commits", syncs, commits)
	}
	if st.Syncs-before.Syncs != syncs {
		t.Errorf("WriteStats counts %d syncs, the WAL saw %d", st.Syncs-before.Syncs, syncs)
	}
	t.Logf("%d writes, %d commits, %d syncs", writers*each, commits, syncs)
}

// TestSyncFailure: when the sync fails the group's callers get
// ErrSyncFailed, later writes ErrWritesHalted, and reads keep working.
func TestSyncFailure(t *testing.T) {
	db := openHooked(t)
	spy := spyOn(db)
	eio := error(&os.PathError{Op: "fdatasync", Path: "memoria.db-wal", Err: syscall.EIO})
	spy.fail.Store(&eio)
	err := db.tx(context.Background(), insertMarker(1))
	if !errors.Is(err, ErrSyncFailed) {
		t.Fatalf("write whose sync failed: %v, want ErrSyncFailed", err)
	}
	spy.fail.Store(nil) // a later sync that succeeds proves nothing
	if err := db.tx(context.Background(), insertMarker(2)); !errors.Is(err, ErrWritesHalted) {
		t.Errorf("write after the failed sync: %v, want ErrWritesHalted", err)
	}
	if n := count(t, db, "x = 2"); n != 0 {
		t.Errorf("write after the failed sync stored %d rows", n)
	}
	if calls := spy.calls.Load(); calls != 1 {
		t.Errorf("%d syncs attempted, want 1 (none after the failure)", calls)
	}
	if _, err := db.GetSystemSettings(context.Background()); err != nil {
		t.Errorf("read after the failed sync: %v", err)
	}
	if err := db.Ping(context.Background()); !errors.Is(err, ErrWritesHalted) {
		t.Errorf("Ping after the failed sync: %v, want ErrWritesHalted (readiness must fail)", err)
	}
}

// TestWALFile covers the WAL's lifecycle as the syncer sees it, on plain
// files: which file each sync reaches.
func TestWALFile(t *testing.T) {
	testdb.SQLiteOnly(t, "the syncer's WAL file")
	for _, tc := range []struct {
		name   string
		before func(t *testing.T, dbPath string) // after opening, before syncing
		want   string                            // suffix of the file synced
		newFD  bool                              // the WAL was reopened
	}{
		{"WAL in place", func(*testing.T, string) {}, "memoria.db-wal", false},
		{"WAL truncated (same inode)", func(t *testing.T, p string) {
			if err := os.Truncate(p+"-wal", 0); err != nil {
				t.Fatal(err)
			}
		}, "memoria.db-wal", false},
		{"WAL re-created (new inode)", func(t *testing.T, p string) {
			os.Remove(p + "-wal")
			if err := os.WriteFile(p+"-wal", []byte("new"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "memoria.db-wal", true},
		{"WAL gone: the database file is synced", func(t *testing.T, p string) {
			os.Remove(p + "-wal")
		}, "memoria.db", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbPath := filepath.Join(t.TempDir(), "memoria.db")
			for _, p := range []string{dbPath, dbPath + "-wal"} {
				if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			w, err := openWAL(dbPath)
			if err != nil {
				t.Fatal(err)
			}
			defer w.close()
			first := w.f
			var synced []*os.File
			w.syncFile = func(f *os.File) error { synced = append(synced, f); return fdatasync(f) }
			tc.before(t, dbPath)
			if err := w.sync(); err != nil {
				t.Fatal(err)
			}
			if len(synced) != 1 || filepath.Base(synced[0].Name()) != tc.want {
				t.Fatalf("synced %v, want one sync of %s", synced, tc.want)
			}
			if tc.want == "memoria.db-wal" {
				cur, err := os.Stat(dbPath + "-wal")
				if err != nil {
					t.Fatal(err)
				}
				got, _ := synced[0].Stat()
				if !os.SameFile(cur, got) {
					t.Error("synced a stale WAL descriptor, not the file now at the path")
				}
				if (synced[0] != first) != tc.newFD {
					t.Errorf("reopened = %v, want %v", synced[0] != first, tc.newFD)
				}
			}
		})
	}
}

// TestWALKeepsItsInodeAcrossCheckpoints checks the premise of syncing our
// own descriptor: SQLite's checkpoints (including TRUNCATE) and WAL resets
// keep the WAL's inode while the store is open.
func TestWALKeepsItsInodeAcrossCheckpoints(t *testing.T) {
	db := openHooked(t)
	spy := spyOn(db)
	path := db.wal.path
	st0, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite3", "file:"+filepath.Join(filepath.Dir(path), "memoria.db")+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for round := range 3 {
		for i := range 300 { // past the 1000-page auto-checkpoint over the rounds
			if err := db.tx(context.Background(), func(tx *gorm.DB) error {
				return tx.Exec("INSERT INTO scratch (x) SELECT ? FROM (WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 20) SELECT n FROM c)", round*1000+i).Error
			}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := other.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if !os.SameFile(st0, st) {
			t.Fatalf("round %d: the WAL was re-created", round)
		}
	}
	if err := db.tx(context.Background(), insertMarker(-9)); err != nil {
		t.Fatal(err)
	}
	if spy.calls.Load() == 0 {
		t.Error("no syncs")
	}
}
