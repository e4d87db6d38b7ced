package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/memoria-app/memoria/store/internal/testdb"
)

// Tests of PostgreSQL's write path (tx_postgres.go), with real faults:
// errors raised by the server, conflicting and deadlocked transactions, a
// backend terminated under a write.

// raise is a statement that makes the server fail with SQLSTATE code.
func raise(code string) string {
	return fmt.Sprintf(`DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = '%s'; END $$`, code)
}

// terminate ends the backend that runs tx, as an administrator would
// (pg_terminate_backend), and returns once it is gone.
func terminate(tb testing.TB, tx *gorm.DB) {
	tb.Helper()
	var pid int
	if err := tx.Raw("SELECT pg_backend_pid()").Scan(&pid).Error; err != nil {
		tb.Fatal(err)
	}
	var gone bool
	if err := testdb.Admin(tb).QueryRow("SELECT pg_terminate_backend($1, 5000)", pid).Scan(&gone); err != nil || !gone {
		tb.Fatalf("terminate backend %d: %v, %v", pid, gone, err)
	}
}

// TestPostgresServerErrors: a write that the server fails is retried when
// it could not be serialised or was deadlocked, and only then; what it
// returns is typed; nothing of a failed write is stored.
func TestPostgresServerErrors(t *testing.T) {
	testdb.PostgresOnly(t)
	db := openScratch(t)
	for _, tc := range []struct {
		name   string
		code   string
		times  int // runs that fail; later ones succeed
		runs   int // runs expected
		check  func(error) bool
		stored bool
	}{
		{"serialization failure once", pgSerializationFailure, 1, 2, func(err error) bool { return err == nil }, true},
		{"deadlock twice", pgDeadlockDetected, 2, 3, func(err error) bool { return err == nil }, true},
		{"serialization failure every time", pgSerializationFailure, 1000, postgresMaxAttempts, func(err error) bool {
			var pe *pgconn.PgError
			return errors.As(err, &pe) && pe.Code == pgSerializationFailure
		}, false},
		{"disk full", pgDiskFull, 1000, 1, func(err error) bool { return errors.Is(err, ErrDiskFull) }, false},
		{"unique violation", pgUniqueViolation, 1000, 1, func(err error) bool { return errors.Is(err, ErrConflict) }, false},
		{"foreign key violation", pgForeignKeyViolation, 1000, 1, func(err error) bool { return errors.Is(err, ErrNotFound) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mustExec(t, db, "DELETE FROM scratch")
			runs := 0
			err := db.tx(context.Background(), func(tx *gorm.DB) error {
				runs++
				if err := insertMarker(1)(tx); err != nil {
					return err
				}
				if runs <= tc.times {
					return tx.Exec(raise(tc.code)).Error
				}
				return nil
			})
			if !tc.check(err) {
				t.Errorf("db.tx = %v", err)
			}
			if runs != tc.runs {
				t.Errorf("ran %d times, want %d", runs, tc.runs)
			}
			if n, want := count(t, db, "x = 1"), map[bool]int64{true: 1}[tc.stored]; n != want {
				t.Errorf("%d rows stored, want %d", n, want)
			}
		})
	}
}

// TestPostgresConflictingWritesBothApply: two read-modify-write
// transactions on one row, both reading before either writes. Each must
// see the other's result (as SQLite's single writer guarantees): one is
// failed by the server and run again, and no update is lost.
func TestPostgresConflictingWritesBothApply(t *testing.T) {
	testdb.PostgresOnly(t)
	db := openScratch(t)
	mustExec(t, db, "INSERT INTO scratch (x) VALUES (0)")
	var read sync.WaitGroup
	read.Add(2)
	var runs atomic.Int32
	increment := func(tx *gorm.DB) error {
		first := runs.Add(1) <= 2
		var x int
		if err := tx.Raw("SELECT x FROM scratch").Scan(&x).Error; err != nil {
			return err
		}
		if first { // both read 0 before either writes
			read.Done()
			read.Wait()
		}
		return tx.Exec("UPDATE scratch SET x = ?", x+1).Error
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() { errs[i] = db.tx(context.Background(), increment) })
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	if n := count(t, db, "x = 2"); n != 1 {
		t.Errorf("after two increments the row is not 2: an update was lost")
	}
	if n := runs.Load(); n != 3 {
		t.Errorf("%d runs, want 3 (one write run again)", n)
	}
}

// TestPostgresDeadlockedWritesBothApply: two writes that lock two rows in
// opposite orders deadlock; the server fails one (40P01) and the store
// runs it again once the other committed.
func TestPostgresDeadlockedWritesBothApply(t *testing.T) {
	testdb.PostgresOnly(t)
	db := openScratch(t)
	mustExec(t, db, "INSERT INTO scratch (x) VALUES (1), (2)")
	var locked sync.WaitGroup
	locked.Add(2)
	var runs atomic.Int32
	write := func(a, b int) func(tx *gorm.DB) error {
		return func(tx *gorm.DB) error {
			first := runs.Add(1) <= 2
			if err := tx.Exec("UPDATE scratch SET x = x + 10 WHERE x % 10 = ?", a).Error; err != nil {
				return err
			}
			if first {
				locked.Done()
				locked.Wait()
			}
			return tx.Exec("UPDATE scratch SET x = x + 10 WHERE x % 10 = ?", b).Error
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() { errs[0] = db.tx(context.Background(), write(1, 2)) })
	wg.Go(func() { errs[1] = db.tx(context.Background(), write(2, 1)) })
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	if n := count(t, db, "x IN (21, 22)"); n != 2 {
		t.Errorf("the rows were not each updated by both writes")
	}
	if n := runs.Load(); n != 3 {
		t.Errorf("%d runs, want 3 (the deadlock victim run again)", n)
	}
}

// TestPostgresTerminatedBackend: a write whose backend is terminated
// before COMMIT committed nothing, so it runs again on a new connection
// and is stored once; one terminated during COMMIT is ErrCommitUnknown
// and is not run again.
func TestPostgresTerminatedBackend(t *testing.T) {
	testdb.PostgresOnly(t)
	db := openScratch(t)
	ctx := context.Background()

	runs := 0
	err := db.tx(ctx, func(tx *gorm.DB) error {
		runs++
		if runs == 1 {
			terminate(t, tx)
		}
		return insertMarker(1)(tx)
	})
	if err != nil || runs != 2 {
		t.Errorf("write whose backend was terminated: %v after %d runs; want nil after 2", err, runs)
	}
	if n := count(t, db, "x = 1"); n != 1 {
		t.Errorf("stored %d times, want once", n)
	}

	runs = 0
	db.hooks.beforeCommit = func(tx *gorm.DB) error {
		terminate(t, tx)
		return nil
	}
	err = db.tx(ctx, func(tx *gorm.DB) error {
		runs++
		return insertMarker(2)(tx)
	})
	db.hooks.beforeCommit = nil
	if !errors.Is(err, ErrCommitUnknown) || runs != 1 {
		t.Errorf("write whose backend was terminated at COMMIT: %v after %d runs; want ErrCommitUnknown after 1", err, runs)
	}
	// (It did not commit: the backend was gone before COMMIT was sent;
	// the store cannot tell that from a COMMIT lost on the way back.)
	if n := count(t, db, "x = 2"); n != 0 {
		t.Errorf("stored %d times, want none", n)
	}
	if err := db.tx(ctx, insertMarker(3)); err != nil {
		t.Errorf("write after the terminated backends: %v", err)
	}
}

// TestPostgresWriteContext: a write whose context ended before it began is
// skipped; one whose context ends while it runs commits and says so; one
// that must be retried after its context ended is not retried.
func TestPostgresWriteContext(t *testing.T) {
	testdb.PostgresOnly(t)
	db := openScratch(t)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	if err := db.tx(ctx, func(tx *gorm.DB) error { ran = true; return nil }); !errors.Is(err, context.Canceled) || ran {
		t.Errorf("cancelled before: %v (ran: %v), want context.Canceled without running", err, ran)
	}

	ctx, cancel = context.WithCancel(context.Background())
	err := db.tx(ctx, func(tx *gorm.DB) error {
		if err := insertMarker(1)(tx); err != nil {
			return err
		}
		cancel()
		return insertMarker(1)(tx)
	})
	if err != nil || count(t, db, "x = 1") != 2 {
		t.Errorf("cancelled while running: %v, %d rows; want nil and both rows", err, count(t, db, "x = 1"))
	}

	ctx, cancel = context.WithCancel(context.Background())
	runs := 0
	err = db.tx(ctx, func(tx *gorm.DB) error {
		runs++
		if err := insertMarker(2)(tx); err != nil {
			return err
		}
		cancel()
		return tx.Exec(raise(pgSerializationFailure)).Error
	})
	if !errors.Is(err, context.Canceled) || runs != 1 || count(t, db, "x = 2") != 0 {
		t.Errorf("cancelled, then to be retried: %v after %d runs; want context.Canceled after 1, nothing stored", err, runs)
	}
}

// TestPostgresWritesRunSideBySide: there is no single writer on
// PostgreSQL — a write commits while another one's transaction is open.
func TestPostgresWritesRunSideBySide(t *testing.T) {
	testdb.PostgresOnly(t)
	db := openScratch(t)
	ctx := context.Background()
	entered, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- db.tx(ctx, func(tx *gorm.DB) error {
			if err := insertMarker(1)(tx); err != nil {
				return err
			}
			close(entered)
			select {
			case <-release:
			case <-time.After(15 * time.Second):
			}
			return nil
		})
	}()
	<-entered
	second := make(chan error, 1)
	go func() { second <- db.tx(ctx, insertMarker(2)) }()
	select {
	case err := <-second:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(10 * time.Second):
		t.Error("the second write waited for the first one's transaction")
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if count(t, db, "x IN (1, 2)") != 2 {
		t.Error("not both writes are stored")
	}
}

// TestPostgresMigrationsOneAtATime: processes starting together on a new
// database all open it; the migrations ran once.
func TestPostgresMigrationsOneAtATime(t *testing.T) {
	testdb.PostgresOnly(t)
	url := testdb.URL(t)
	const n = 4
	errs := make([]error, n)
	dbs := make([]*DB, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = Open(context.Background(), t.TempDir(), Options{URL: url}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("open %d: %v", i, err)
			continue
		}
		defer dbs[i].Close()
	}
	if t.Failed() {
		return
	}
	var versions int64
	if err := dbs[0].read.Model(&schemaMigrationRow{}).Count(&versions).Error; err != nil || versions != int64(len(migrations)) {
		t.Errorf("schema_migrations holds %d rows (%v), want %d", versions, err, len(migrations))
	}
}

// TestPostgresConnections: every connection runs with
// synchronous_commit=on whatever the session default, and a URL that
// turns it off is refused.
func TestPostgresConnections(t *testing.T) {
	testdb.PostgresOnly(t)
	url := testdb.URL(t)
	// options=-c … sets the session default, as a server, database or
	// role setting would.
	db, err := Open(context.Background(), t.TempDir(), Options{URL: url + "&options=-c%20synchronous_commit%3Doff"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var onRead, onWrite string
	if err := db.read.Raw("SHOW synchronous_commit").Scan(&onRead).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.tx(context.Background(), func(tx *gorm.DB) error {
		return tx.Raw("SHOW synchronous_commit").Scan(&onWrite).Error
	}); err != nil {
		t.Fatal(err)
	}
	if onRead != "on" || onWrite != "on" {
		t.Errorf("synchronous_commit = %q (read), %q (write); want on", onRead, onWrite)
	}
	if _, err := Open(context.Background(), t.TempDir(), Options{URL: url + "&synchronous_commit=off"}); err == nil {
		t.Error("a URL with synchronous_commit=off was accepted")
	}
}
