package store

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
)

// openSQLite opens (creating if needed) the SQLite database memoria.db in
// dir, runs pending migrations and starts the writer and the syncer.
func openSQLite(ctx context.Context, dir string, opts Options) (*DB, error) {
	tuneMalloc() // malloc_linux.go
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(dir, DatabaseFile)
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
	dialector := func(dsn string) gorm.Dialector {
		if opts.driverName != "" {
			return sqlite.New(sqlite.Config{DriverName: opts.driverName, DSN: dsn})
		}
		return sqliteDialector(dsn)
	}

	w, err := gorm.Open(dialector(writeDSN), gormConfig(true))
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
	if err := wsql.PingContext(ctx); err != nil {
		wsql.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := migrate(ctx, w); err != nil {
		wsql.Close()
		return nil, err
	}
	r, err := gorm.Open(dialector(readDSN), gormConfig(true))
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
	db := newDB(w, r, opts) // before the writer takes the one connection
	conn, err := wsql.Conn(ctx)
	if err != nil {
		wsql.Close()
		rsql.Close()
		return nil, fmt.Errorf("open write connection: %w", err)
	}
	db.writePath = sqliteWriter{db}
	db.wconn = w.Session(&gorm.Session{NewDB: true, Context: context.Background()})
	db.wconn.Statement.ConnPool = gorm.NewPreparedStmtDB(conn, 256, 0)
	db.conn = conn
	db.writes, db.toSync = make(chan *writeReq, maxGroup), make(chan groupOutcome, 16)
	db.syncIdle, db.done = make(chan struct{}, 1), make(chan struct{})
	if db.wal, err = openWAL(path); err != nil {
		db.Close()
		return nil, err
	}
	go db.writer()
	go db.syncer()
	if db.searchQueue {
		db.stopMerge = make(chan struct{})
		go db.mergeSearchIndexWhenIdle(searchMergeIdle, db.stopMerge) // search_merge.go
	}
	return db, nil
}
