package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// DB is the store. Writes go through a pool of exactly one connection, so
// concurrent writers queue in Go instead of failing with SQLITE_BUSY; reads
// use a separate pool of read-only connections that WAL lets run alongside
// the writer.
type DB struct {
	write  *gorm.DB
	read   *gorm.DB
	feed   *settingsFeed
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

	closeMu sync.RWMutex // held for reading while sending on writes
	closed  atomic.Bool
	halted  atomic.Pointer[error] // set once writes are halted (see halt)
	syncErr atomic.Pointer[error] // set once a sync failed: no sync is trusted after it

	writesRun atomic.Uint64 // writes that reached the writer
	commits   atomic.Uint64 // committed transactions; a group's seq
	syncs     atomic.Uint64 // completed syncs

	memoEvents memoEventFeed // committed memo changes (memo_events.go)
	observer   WriteObserver // never nil (see observer.go)
	inbox      inboxSignal   // wakes the webhook inbox's consumer (telegram_inbox.go)

	hooks testHooks

	searchQueue  bool          // the schema has the search index's queue (search.go: commit)
	stopMerge    chan struct{} // ends mergeSearchIndexWhenIdle (search_merge.go)
	searchBodies *searchBodies // index tokens prepared by callers (search_prepare.go)
}

// testHooks let tests inject faults; all nil in production.
type testHooks struct {
	// control, when set, runs before each transaction-control statement
	// of the writer; an error it returns replaces the statement.
	control func(sql string) error
}

// Options tune Open.
type Options struct {
	// MaxReaders bounds the read pool (default 4).
	MaxReaders int
	// Observer hears of each commit group and sync (nil: nobody).
	Observer WriteObserver

	// driverName replaces the database/sql driver (tests register one
	// with extra SQL functions, and must register the search functions
	// too: registerSearchFuncs); empty means sqliteDriverName.
	driverName string
}

// Open opens (creating if needed) the SQLite database memoria.db in dir and
// runs pending migrations.
func Open(ctx context.Context, dir string, opts Options) (*DB, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(dir, "memoria.db")
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "10000")
	q.Set("_synchronous", "NORMAL")
	q.Set("_txlock", "immediate")
	q.Set("_cache_size", "-4000")
	writeDSN := "file:" + path + "?" + q.Encode()
	q.Set("_query_only", "true")
	q.Del("_txlock")
	readDSN := "file:" + path + "?" + q.Encode()
	if opts.MaxReaders <= 0 {
		opts.MaxReaders = 4
	}
	dialect := func(dsn string) gorm.Dialector {
		if opts.driverName != "" {
			return sqlite.New(sqlite.Config{DriverName: opts.driverName, DSN: dsn})
		}
		return sqliteDialector(dsn)
	}
	db, err := open(ctx, dialect(writeDSN), dialect(readDSN), opts)
	if err != nil {
		return nil, err
	}
	if db.wal, err = openWAL(path); err != nil {
		db.Close()
		return nil, err
	}
	db.start()
	return db, nil
}

// open is dialect-neutral: another SQL driver only needs its own
// dialectors (and, if it needs no single-writer pool, a larger write pool).
func open(ctx context.Context, writeD, readD gorm.Dialector, opts Options) (*DB, error) {
	cfg := func() *gorm.Config {
		return &gorm.Config{
			SkipDefaultTransaction: true,
			PrepareStmt:            true,
			TranslateError:         true,
			Logger:                 logger.Discard,
			NowFunc:                func() time.Time { return time.Now().UTC() },
		}
	}
	w, err := gorm.Open(writeD, cfg())
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	wsql, err := w.DB()
	if err != nil {
		return nil, err
	}
	wsql.SetMaxOpenConns(1)
	wsql.SetMaxIdleConns(1)
	wsql.SetConnMaxLifetime(0)
	wsql.SetConnMaxIdleTime(0)
	if err := migrate(ctx, w); err != nil {
		wsql.Close()
		return nil, err
	}
	searchQueue := w.Migrator().HasTable("memo_search_queue")
	r, err := gorm.Open(readD, cfg())
	if err != nil {
		wsql.Close()
		return nil, fmt.Errorf("open database for reading: %w", err)
	}
	rsql, err := r.DB()
	if err != nil {
		wsql.Close()
		return nil, err
	}
	rsql.SetMaxOpenConns(opts.MaxReaders)
	rsql.SetMaxIdleConns(opts.MaxReaders)
	rsql.SetConnMaxIdleTime(5 * time.Minute)
	conn, err := wsql.Conn(ctx)
	if err != nil {
		wsql.Close()
		rsql.Close()
		return nil, fmt.Errorf("open write connection: %w", err)
	}
	wconn := w.Session(&gorm.Session{NewDB: true, Context: context.Background()})
	wconn.Statement.ConnPool = gorm.NewPreparedStmtDB(conn, 256, 0)
	db := &DB{write: w, read: r, wconn: wconn, conn: conn, feed: newSettingsFeed(),
		writes: make(chan *writeReq, maxGroup), toSync: make(chan groupOutcome, 16), syncIdle: make(chan struct{}, 1), done: make(chan struct{})}
	db.memoEvents = newLocalMemoFeed()
	db.observer = opts.Observer
	if db.observer == nil {
		db.observer = nopObserver{}
	}
	db.searchQueue, db.searchBodies = searchQueue, newSearchBodies()
	return db, nil
}

// start runs the writer and the syncer, and the search index's merger.
func (db *DB) start() {
	go db.writer()
	go db.syncer()
	if db.searchQueue {
		db.stopMerge = make(chan struct{})
		go db.mergeSearchIndexWhenIdle(searchMergeIdle, db.stopMerge)
	}
}

// Close waits for the writes already queued (each is answered), then
// closes both pools. Calls after Close fail with ErrClosed; a second Close
// does nothing.
func (db *DB) Close() error {
	db.closeMu.Lock()
	if db.closed.Swap(true) {
		db.closeMu.Unlock()
		return nil
	}
	close(db.writes)
	db.closeMu.Unlock()
	if db.stopMerge != nil {
		close(db.stopMerge)
	}
	if db.wal != nil { // started
		<-db.done
	}
	db.feed.close()
	db.memoEvents.close()
	if ps, ok := db.wconn.Statement.ConnPool.(*gorm.PreparedStmtDB); ok {
		ps.Close()
	}
	db.conn.Close()
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
	if db.wal != nil {
		db.wal.close() // after SQLite let go of the files
	}
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
