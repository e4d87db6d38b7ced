package store

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
)

// defaultMaxWriters is the size of PostgreSQL's write pool when
// Options.MaxWriters is 0.
const defaultMaxWriters = 8

// openPostgres connects to the PostgreSQL database opts.URL names, runs
// pending migrations (one process at a time) and returns a store whose
// writes run on a pool (tx_postgres.go). In the background run the change
// listener and the indexing of memos other programs wrote.
func openPostgres(ctx context.Context, opts Options) (*DB, error) {
	cfg, err := postgresConfig(opts.URL)
	if err != nil {
		return nil, err
	}
	writers := opts.MaxWriters
	if writers <= 0 {
		writers = defaultMaxWriters
	}
	// Migrating holds one connection for the lock and uses another.
	w, err := openPostgresPool(ctx, cfg, max(writers, 2))
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, w); err != nil {
		closePool(w)
		return nil, err
	}
	r, err := openPostgresPool(ctx, cfg, opts.MaxReaders)
	if err != nil {
		closePool(w)
		return nil, err
	}
	db := newDB(w, r, opts)
	db.writePath = newPostgresWrites(db)
	// Changes made by any process reach this one's subscribers and caches
	// (feed_postgres.go). (Only a test opens a schema older than the log.)
	if w.Migrator().HasTable("change_log") {
		if err := db.startPGChanges(ctx, opts.URL, slog.Default()); err != nil {
			db.Close()
			return nil, err
		}
	}
	if w.Migrator().HasTable("memo_search_outside") {
		db.stopMerge = make(chan struct{})
		go db.indexOutsideWritesEvery(outsideWritesEvery, db.stopMerge) // search_outside.go
	}
	return db, nil
}

// openPostgresPool opens a pool of at most n connections and checks that
// the server answers.
func openPostgresPool(ctx context.Context, cfg *pgx.ConnConfig, n int) (*gorm.DB, error) {
	pool := stdlib.OpenDB(*cfg)
	pool.SetMaxOpenConns(n)
	pool.SetMaxIdleConns(n)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", translate(err))
	}
	// pgx caches each connection's prepared statements itself, so gorm's
	// statement cache (PrepareStmt) would only add a second one.
	g, err := gorm.Open(postgres.New(postgres.Config{Conn: pool}), gormConfig(false))
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open PostgreSQL: %w", err)
	}
	return g, nil
}

// closePool closes the connections under g.
func closePool(g *gorm.DB) {
	if s, err := g.DB(); err == nil {
		s.Close()
	}
}
