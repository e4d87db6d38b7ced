package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

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
	writes chan *writeReq
	done   chan struct{}

	memoEvents memoEventFeed // committed memo changes (memo_events.go)
}

// Options tune Open.
type Options struct {
	// MaxReaders bounds the read pool (default 4).
	MaxReaders int
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
	return open(ctx, sqliteDialector(writeDSN), sqliteDialector(readDSN), opts)
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
	db := &DB{write: w, read: r, wconn: wconn, conn: conn, feed: newSettingsFeed(), writes: make(chan *writeReq), done: make(chan struct{})}
	db.memoEvents = newLocalMemoFeed()
	go db.writer()
	return db, nil
}

// Close closes both pools; pending writes finish first. No call may be in
// flight or start after Close.
func (db *DB) Close() error {
	close(db.writes)
	<-db.done
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
	return first
}

// r returns the read pool bound to ctx.
func (db *DB) r(ctx context.Context) *gorm.DB { return db.read.WithContext(ctx) }

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
