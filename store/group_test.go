package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"
	"gorm.io/gorm"

	"github.com/memoria-app/memoria/store/internal/testdb"
)

// Tests of the group commit from inside the package: they line writes up
// in one group deliberately, which needs the writer's queue.

// hookDriver is go-sqlite3 with one extra SQL function, cancel_once(x):
// the first call after armCancel cancels the armed context (while the
// statement calling it runs) and returns x; later calls return x.
const hookDriver = "sqlite3_memoria_hooks"

var (
	registerHookDriver sync.Once
	armedCancel        atomic.Pointer[context.CancelFunc]
)

func armCancel(cancel context.CancelFunc) { armedCancel.Store(&cancel) }

// openHooked opens a SQLite store with the hook driver; its tests are
// about SQLite's writer (group commit, savepoints, WAL sync), so a
// PostgreSQL run skips them.
func openHooked(tb testing.TB) *DB {
	tb.Helper()
	testdb.SQLiteOnly(tb, "SQLite's writer: group commit, its savepoints and the WAL sync")
	registerHookDriver.Do(func() {
		sql.Register(hookDriver, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
			if err := registerSearchFuncs(c); err != nil {
				return err
			}
			return c.RegisterFunc("cancel_once", func(x int64) int64 {
				if c := armedCancel.Swap(nil); c != nil {
					(*c)()
					// Give go-sqlite3's watcher time to call
					// sqlite3_interrupt while this statement still runs.
					time.Sleep(20 * time.Millisecond)
				}
				return x
			}, false)
		}})
	})
	db, err := Open(context.Background(), tb.TempDir(), Options{driverName: hookDriver})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	mustExec(tb, db, "CREATE TABLE scratch (x INTEGER NOT NULL)")
	return db
}

// groupWrite is one write lined up in a group by runGroup.
type groupWrite struct {
	ctx context.Context
	fn  func(tx *gorm.DB) error
}

// runGroup makes the given writes share one transaction: a first write
// holds the writer until all of them are queued behind it. It returns
// each write's result.
func runGroup(tb testing.TB, db *DB, writes []groupWrite) []error {
	tb.Helper()
	entered, release := make(chan struct{}), make(chan struct{})
	blockerDone := make(chan error, 1)
	go func() {
		blockerDone <- db.tx(context.Background(), func(tx *gorm.DB) error {
			close(entered)
			<-release
			return nil
		})
	}()
	<-entered
	errs := make([]error, len(writes))
	var wg sync.WaitGroup
	for i, w := range writes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.tx(w.ctx, w.fn)
		}()
		// One at a time, so that they queue in order.
		for len(db.writes) < i+1 {
			runtime.Gosched()
			time.Sleep(100 * time.Microsecond)
		}
	}
	close(release)
	if err := <-blockerDone; err != nil {
		tb.Fatalf("blocking write: %v", err)
	}
	wg.Wait()
	return errs
}

// TestCancelledWriteMidGroup cancels a write's context while its statement
// runs, between two other writes of the same group: SQLite would roll back
// the whole transaction if go-sqlite3 interrupted the statement. Every
// write of the group must commit and be reported as committed — the
// cancelled one too, since a dequeued write runs to the end.
func TestCancelledWriteMidGroup(t *testing.T) {
	db := openHooked(t)
	const rows = 50000
	cctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	armCancel(cancel)
	errs := runGroup(t, db, []groupWrite{
		{context.Background(), insertMarker(-1)},
		{cctx, func(tx *gorm.DB) error {
			return tx.Exec(`INSERT INTO scratch (x)
				WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?)
				SELECT cancel_once(x) FROM c`, rows).Error
		}},
		{context.Background(), insertMarker(-2)},
	})
	if cctx.Err() == nil {
		t.Fatal("the write's context was never cancelled: the test did not test anything")
	}
	for i, want := range []struct {
		what  string
		where string
		n     int64
	}{
		{"write before the cancelled one", "x = -1", 1},
		{"cancelled write", "x > 0", rows},
		{"write after the cancelled one", "x = -2", 1},
	} {
		if errs[i] != nil {
			t.Errorf("%s: reported %v, want committed", want.what, errs[i])
		}
		if n := count(t, db, want.where); n != want.n {
			t.Errorf("%s: %d rows stored, want %d", want.what, n, want.n)
		}
	}
}

// failAfterArm returns a control hook that, once armed, fails the n-th
// occurrence of the listed statements (counted from arming), and the arm
// function.
func failAfterArm(fail map[string]int) (hook func(string) error, arm func()) {
	var (
		armed atomic.Bool
		mu    sync.Mutex
		seen  = map[string]int{}
	)
	hook = func(sql string) error {
		if !armed.Load() {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		seen[sql]++
		if n, ok := fail[sql]; ok && seen[sql] == n {
			return fmt.Errorf("injected failure of %s", sql)
		}
		return nil
	}
	return hook, func() { armed.Store(true) }
}

var errBoom = errors.New("boom")

// TestGroupControlFaults makes the writer's transaction-control statements
// fail in a group of three writes (B, C, D): the group's other writes must
// be committed and reported correctly, or reported failed when nothing of
// them is stored — never a lie either way.
func TestGroupControlFaults(t *testing.T) {
	type outcome struct {
		b, c, d bool // reported committed
	}
	for _, tc := range []struct {
		name    string
		fail    map[string]int // statement → occurrence after arming
		cFails  bool           // C's own statement fails (after inserting)
		want    outcome
		wantErr error // C's error wraps this
		halted  bool
	}{
		{name: "no fault", want: outcome{true, true, true}},
		{name: "C fails, its savepoint rolls back", cFails: true, want: outcome{true, false, true}, wantErr: errBoom},
		{name: "ROLLBACK TO of C fails: group rolled back, B and D retried", fail: map[string]int{"ROLLBACK TO w": 1}, cFails: true, want: outcome{true, false, true}, wantErr: errBoom},
		{name: "RELEASE of C fails: group rolled back, B and D retried", fail: map[string]int{"RELEASE w": 2}, want: outcome{true, false, true}},
		{name: "SAVEPOINT of C fails: group rolled back, B and D retried", fail: map[string]int{"SAVEPOINT w": 1}, want: outcome{true, false, true}},
		{name: "COMMIT fails: nothing stored", fail: map[string]int{"COMMIT": 1}, want: outcome{false, false, false}},
		{name: "RELEASE of C fails, then the retry's COMMIT fails", fail: map[string]int{"RELEASE w": 2, "COMMIT": 1}, want: outcome{false, false, false}},
		{name: "ROLLBACK TO and ROLLBACK fail: writes halt", fail: map[string]int{"ROLLBACK TO w": 1, "ROLLBACK": 1}, cFails: true, want: outcome{false, false, false}, halted: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openHooked(t)
			hook, arm := failAfterArm(tc.fail)
			db.hooks.control = hook
			bg := context.Background()
			errs := runGroup(t, db, []groupWrite{
				{bg, func(tx *gorm.DB) error { arm(); return insertMarker(-1)(tx) }},
				{bg, func(tx *gorm.DB) error {
					if err := insertMarker(-3)(tx); err != nil {
						return err
					}
					if tc.cFails {
						return errBoom
					}
					return nil
				}},
				{bg, insertMarker(-2)},
			})
			for i, w := range []struct {
				name   string
				marker int
				ok     bool
			}{{"B", -1, tc.want.b}, {"C", -3, tc.want.c}, {"D", -2, tc.want.d}} {
				if got := errs[i] == nil; got != w.ok {
					t.Errorf("%s: reported %v, want committed=%v", w.name, errs[i], w.ok)
				}
				var want int64
				if w.ok {
					want = 1
				}
				if n := count(t, db, fmt.Sprintf("x = %d", w.marker)); n != want {
					t.Errorf("%s: stored %d times, want %d (reported %v)", w.name, n, want, errs[i])
				}
			}
			if tc.wantErr != nil && !errors.Is(errs[1], tc.wantErr) {
				t.Errorf("C: error %v, want it to wrap %v", errs[1], tc.wantErr)
			}
			err := db.tx(bg, insertMarker(-4))
			if tc.halted {
				if !errors.Is(err, ErrWritesHalted) {
					t.Errorf("write after the fault: %v, want ErrWritesHalted", err)
				}
				for i, e := range errs {
					if !errors.Is(e, ErrWritesHalted) && i != 1 {
						t.Errorf("write %d of the group: %v, want ErrWritesHalted", i, e)
					}
				}
			} else if err != nil {
				t.Errorf("write after the fault: %v, want it committed", err)
			}
		})
	}
}
