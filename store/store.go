package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// DB is the store, on SQLite or PostgreSQL (see dialect.go). On SQLite,
// writes go through a pool of exactly one connection, so concurrent
// writers queue in Go instead of failing with SQLITE_BUSY, and reads use a
// separate pool of read-only connections that WAL lets run alongside the
// writer. On PostgreSQL, writes run side by side on a pool of their own
// and reads on another.
type DB struct {
	write     *gorm.DB  // SQLite: the one write connection's pool; PostgreSQL: the write pool
	read      *gorm.DB  // the read pool
	writePath writePath // how db.tx commits (write_path.go)
	feed      *settingsFeed

	// SQLite's writer (writer.go, sync.go); unused on PostgreSQL.
	wconn  *gorm.DB  // the writer goroutine's connection (see writer.go)
	conn   *sql.Conn // under wconn
	wal    *walFile  // synced by the syncer (see sync.go)
	writes chan *writeReq
	toSync chan groupOutcome // writer → syncer
	// syncing is true while the syncer works on a batch; syncIdle
	// (capacity 1) signals that it finished one (see nextWrite).
	syncing  atomic.Bool
	syncIdle chan struct{}
	done     chan struct{} // closed when the syncer (after the writer) ends

	closeMu sync.RWMutex // held for reading while a write is accepted
	closed  atomic.Bool
	halted  atomic.Pointer[error] // set once writes are halted (see halt)
	syncErr atomic.Pointer[error] // set once a sync failed: no sync is trusted after it

	writesRun atomic.Uint64 // writes that reached the write path
	commits   atomic.Uint64 // committed transactions; a group's seq
	syncs     atomic.Uint64 // completed syncs

	memoEvents memoEventFeed // committed memo changes (memo_events.go)
	observer   WriteObserver // never nil (see observer.go)
	inbox      inboxSignal   // wakes the webhook inbox's consumer (telegram_inbox.go)

	hooks testHooks

	searchQueue  bool          // the schema has the search index's queue (search.go: commit)
	stopMerge    chan struct{} // ends mergeSearchIndexWhenIdle (search_merge.go) or indexOutsideWritesEvery (search_outside.go)
	searchBodies *searchBodies // index tokens prepared by callers (search_prepare.go)

	writesSinceFold int           // the SQLite writer's, since its last fold (search_fold.go)
	foldRetry       time.Duration // the writer's wait before retrying a failed fold; 0 after a fold that worked
	foldLogged      time.Time     // when the writer last logged a failed fold
	folds           atomic.Uint64 // folds of the search queue done
	foldedMemos     atomic.Uint64 // memos those folds moved into FTS
}

// testHooks let tests inject faults; all nil in production.
type testHooks struct {
	// control, when set, runs before each transaction-control statement
	// of the SQLite writer; an error it returns replaces the statement.
	control func(sql string) error
	// beforeCommit, when set, runs in each PostgreSQL write transaction
	// just before COMMIT; an error it returns fails the attempt.
	beforeCommit func(tx *gorm.DB) error
	// fold, when set, runs in each fold of SQLite's search queue just
	// before its COMMIT; an error it returns fails the fold.
	fold func() error
}

// Options tune Open.
type Options struct {
	// URL chooses the database: empty for the SQLite file in Open's dir;
	// a postgres:// or postgresql:// URL for PostgreSQL (see CheckURL).
	URL string
	// MaxReaders bounds the read pool (default 4).
	MaxReaders int
	// MaxWriters bounds PostgreSQL's write pool, i.e. the writes that run
	// at once (default 8, at least 2); SQLite has one writer.
	MaxWriters int
	// Observer hears of each commit group and sync (nil: nobody).
	Observer WriteObserver

	// driverName replaces the database/sql driver of SQLite (tests
	// register one with extra SQL functions, and must register the search
	// functions too: registerSearchFuncs); empty means sqliteDriverName.
	driverName string
}

// Open opens the database opts.URL names and runs pending migrations:
// with an empty URL the SQLite database memoria.db in dir (both created
// if needed); with a postgres:// URL that PostgreSQL database, where dir
// is not used (see dialect.go).
func Open(ctx context.Context, dir string, opts Options) (*DB, error) {
	kind, err := kindOf(opts.URL)
	if err != nil {
		return nil, err
	}
	if opts.MaxReaders <= 0 {
		opts.MaxReaders = 4
	}
	if kind == kindPostgres {
		return openPostgres(ctx, opts)
	}
	return openSQLite(ctx, dir, opts)
}

// gormConfig is gorm's configuration for either dialect.
func gormConfig(prepare bool) *gorm.Config {
	return &gorm.Config{
		SkipDefaultTransaction: true,
		PrepareStmt:            prepare,
		TranslateError:         true,
		DisableAutomaticPing:   true, // the openers ping with their context
		Logger:                 logger.Discard,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	}
}

// newDB is the dialect-neutral part of a DB over migrated pools; the
// opener sets writePath (and its own fields).
func newDB(w, r *gorm.DB, opts Options) *DB {
	db := &DB{write: w, read: r, feed: newSettingsFeed(), memoEvents: newLocalMemoFeed(), observer: opts.Observer}
	if db.observer == nil {
		db.observer = nopObserver{}
	}
	// The index's upkeep: SQLite's queue table, PostgreSQL's index table
	// (its record of changed memos is per session: search_postgres.go).
	db.searchQueue = w.Migrator().HasTable("memo_search_queue") ||
		w.Dialector.Name() == postgresName && w.Migrator().HasTable("memo_search")
	db.searchBodies = newSearchBodies(w.Dialector.Name() != postgresName)
	return db
}

// Close waits for the writes already accepted (each is answered), then
// closes both pools. Calls after Close fail with ErrClosed; a second Close
// does nothing.
func (db *DB) Close() error {
	db.closeMu.Lock()
	if db.closed.Swap(true) {
		db.closeMu.Unlock()
		return nil
	}
	db.writePath.shut()
	db.closeMu.Unlock()
	if db.stopMerge != nil {
		close(db.stopMerge)
	}
	db.writePath.finish()
	db.feed.close()
	db.memoEvents.close()
	var first error
	for _, g := range []*gorm.DB{db.read, db.write} {
		s, err := g.DB()
		if err == nil {
			err = s.Close()
		}
		if err != nil && first == nil {
			first = err
		}
	}
	db.writePath.release()
	return first
}

// r returns the read pool bound to ctx; after Close, queries on it fail
// with ErrClosed.
func (db *DB) r(ctx context.Context) *gorm.DB {
	g := db.read.WithContext(ctx)
	if db.closed.Load() {
		g.AddError(ErrClosed)
	}
	return g
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// deleteOne deletes the rows matching the condition and reports
// ErrNotFound when there were none.
func deleteOne(tx *gorm.DB, model any, query string, args ...any) error {
	res := tx.Delete(model, append([]any{query}, args...)...)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}
