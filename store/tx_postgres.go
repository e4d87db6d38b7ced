package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
)

// On PostgreSQL each write is a transaction of its own on the write pool:
// writes run side by side and the server orders them. There is no writer
// goroutine, no group commit and no sync of ours: with
// synchronous_commit=on (which postgresConfig sets on every connection)
// COMMIT returns only once the server flushed the transaction to its WAL,
// and its WAL writer already lets concurrent commits share a flush. See
// docs/durability.md.
//
// Isolation: SERIALIZABLE, so that a write sees the database as if it ran
// alone — the guarantee SQLite's single writer gives and the shared code
// was written for (read, decide, write: "the first user becomes admin",
// "this update was not ingested yet", read-modify-write of a memo). When
// PostgreSQL cannot order two writes (40001) or finds them deadlocked
// (40P01) it fails one, and the store runs that one again from the start,
// a few times, after a short random pause. The same goes for a write whose
// connection was lost before COMMIT (the server ended the session, the
// network failed): nothing of it was committed.
//
// Retries run alone in this process: first attempts share p.alone, a
// retry holds it exclusively (new first attempts wait meanwhile). Under
// heavy contention — many writers on one row, or on one index page of a
// small table, where SERIALIZABLE's predicate locks see conflicts — the
// writes thus fall back to running one by one, as on SQLite, instead of
// failing each other again and again; a retry can then only conflict
// with another process's writes, so a few attempts suffice.
//
// Context: a write whose ctx ended before it got a connection is skipped
// and returns ctx.Err(). Once it has one, it runs under
// context.WithoutCancel: cancelling a statement would roll the
// transaction back, and a COMMIT interrupted in flight would leave its
// caller not knowing whether it committed. Between retries nothing is
// committed, so a caller that gave up meanwhile is told ctx.Err().
//
// COMMIT itself: refused with an ERROR (a serialization failure found at
// commit), the transaction is rolled back, and retried as above. Any
// other failure of the COMMIT (the connection lost while it ran) leaves
// the outcome unknown: ErrCommitUnknown, never retried, since running the
// write again could apply it twice.

// Retries of a write that PostgreSQL could not serialise: at most
// postgresMaxAttempts runs, each pause random up to a bound that doubles
// from postgresRetryBase to postgresRetryMax.
const (
	postgresMaxAttempts = 8
	postgresRetryBase   = 1 * time.Millisecond
	postgresRetryMax    = 50 * time.Millisecond
)

// postgresWrites is PostgreSQL's writePath.
type postgresWrites struct {
	db      *DB
	pool    *sql.DB        // under db.write
	running sync.WaitGroup // accepted writes not yet answered
	alone   sync.RWMutex   // shared by first attempts, held alone by retries
}

func newPostgresWrites(db *DB) *postgresWrites {
	pool, _ := db.write.DB() // a *sql.DB: openPostgresPool made it
	return &postgresWrites{db: db, pool: pool}
}

func (p *postgresWrites) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	db := p.db
	if err := ctx.Err(); err != nil {
		return err
	}
	// The read lock keeps Close from waiting before this write counts.
	db.closeMu.RLock()
	if db.closed.Load() {
		db.closeMu.RUnlock()
		return ErrClosed
	}
	p.running.Add(1)
	db.closeMu.RUnlock()
	defer p.running.Done()
	db.writesRun.Add(1)
	for attempt := 1; ; attempt++ {
		err := p.try(ctx, fn, attempt > 1)
		if err == nil {
			return nil
		}
		if !mayRetry(err) {
			return translate(err)
		}
		if attempt == postgresMaxAttempts {
			return fmt.Errorf("write failed %d times: %w", attempt, translate(err))
		}
		pause := rand.N(min(postgresRetryMax, postgresRetryBase<<(attempt-1))) + time.Millisecond
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// try runs one attempt, alone in this process or beside other first
// attempts.
func (p *postgresWrites) try(ctx context.Context, fn func(tx *gorm.DB) error, alone bool) error {
	if alone {
		p.alone.Lock()
		defer p.alone.Unlock()
	} else {
		p.alone.RLock()
		defer p.alone.RUnlock()
	}
	return p.attempt(ctx, fn)
}

// attempt runs fn once in a transaction of its own and commits it.
func (p *postgresWrites) attempt(ctx context.Context, fn func(tx *gorm.DB) error) error {
	// Waiting for a connection is before the write begins. A server that
	// cannot be connected to is not retried: it will not be back within a
	// few pauses (ErrUnavailable).
	conn, err := p.pool.Conn(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	defer conn.Close()
	run := context.WithoutCancel(ctx)
	sqlTx, err := conn.BeginTx(run, &sql.TxOptions{Isolation: sql.LevelSerializable})
	if err != nil {
		return lostIfClosed(conn, err)
	}
	tx := p.db.write.Session(&gorm.Session{NewDB: true, Context: run})
	tx.Statement.ConnPool = sqlTx
	err = fn(tx)
	if err == nil {
		err = p.db.flushSearch(tx) // search.go
	}
	if err == nil && p.db.hooks.beforeCommit != nil {
		err = p.db.hooks.beforeCommit(tx)
	}
	if err != nil {
		err = lostIfClosed(conn, err) // before the rollback, which gives a broken connection up
		sqlTx.Rollback()
		return err
	}
	start := time.Now()
	if err := sqlTx.Commit(); err != nil {
		return commitFailed(err)
	}
	// The COMMIT waited for the WAL flush: it is the sync.
	p.db.committed(1)
	p.db.synced(time.Since(start))
	return nil
}

// shut has nothing to do: Close set db.closed, which tx checks.
func (p *postgresWrites) shut() {}

// finish waits for the writes under way.
func (p *postgresWrites) finish() { p.running.Wait() }

func (p *postgresWrites) release() {}

// errConnLost marks a write attempt whose connection was lost before
// COMMIT: nothing of it was committed.
type errConnLost struct{ err error }

func (e errConnLost) Error() string { return "connection to PostgreSQL lost: " + e.err.Error() }
func (e errConnLost) Unwrap() error { return e.err }

func connLost(err error) error { return errConnLost{err} }

// lostIfClosed marks err as a lost connection when the attempt's
// connection is closed now (pgx closes it on any network failure and when
// the server ends the session), whatever form the error took on its way
// up through the write's own code.
func lostIfClosed(conn *sql.Conn, err error) error {
	closed := errors.Is(err, driver.ErrBadConn)
	conn.Raw(func(dc any) error {
		if c, ok := dc.(*stdlib.Conn); ok {
			closed = c.Conn().IsClosed()
		}
		return nil
	})
	if closed {
		return connLost(err)
	}
	return err
}

// commitFailed classifies a failed COMMIT: an ERROR from the server means
// it rolled the transaction back; anything else leaves the outcome
// unknown.
func commitFailed(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && severity(pe) == "ERROR" {
		return err
	}
	if errors.Is(err, pgx.ErrTxCommitRollback) {
		return fmt.Errorf("commit: the transaction had failed and was rolled back: %w", err)
	}
	return fmt.Errorf("%w: %w", ErrCommitUnknown, err)
}

// mayRetry reports whether a write attempt that failed with err before
// committing may succeed if run again: PostgreSQL could not serialise it
// (40001) or found it deadlocked (40P01), or its connection was lost.
func mayRetry(err error) bool {
	if errors.Is(err, ErrCommitUnknown) {
		return false
	}
	if errors.As(err, new(errConnLost)) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == pgSerializationFailure || pe.Code == pgDeadlockDetected
	}
	return false
}

// severity is a server error's severity, in English whatever lc_messages.
func severity(pe *pgconn.PgError) string {
	if pe.SeverityUnlocalized != "" {
		return pe.SeverityUnlocalized
	}
	return pe.Severity
}
