package store

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresElector elects with session advisory locks
// (pg_try_advisory_lock), each on a dedicated connection that does
// nothing else (pg_dedicated.go). Why a session lock rather than a lease
// row with heartbeats: it ends with the session, so a holder killed with
// kill -9 frees it at once (the kernel closes the socket and PostgreSQL
// ends the backend) and one that hangs or loses the network is cut off
// by the keepalives; and it depends on no clock agreeing across machines.
//
// A standby keeps its connection and retries every Retry. The holder
// runs `SELECT 1` on its connection every Ping, and on Check; a ping that
// fails or takes longer than PingTimeout ends the lease (the connection
// is closed, so the server frees the lock if it still had it). Because
// PingTimeout is shorter than the server's keepalive cut-off (≈ 4 s), a
// holder cut off by the network gives up before the server frees the
// lock for someone else.
//
// Handover: a lock freed because the holder's session was ended from the
// server side (pg_terminate_backend, an idle-session timeout) is free
// before that holder's next ping tells it. So a new holder that found the
// lock held waits Handover (default Ping + PingTimeout) after taking it
// before Acquire returns: by then any previous holder has noticed and
// stopped. A lock free at the first try is returned at once (after a
// token change, the new bot's lease has no previous holder). A process
// whose first try falls just after a server-side end of the holder's
// session (not a crash of the holder) may still meet it once: Telegram
// then answers one getUpdates 409 and the loser's next Check stops it.
//
// The lock key is a 64-bit hash of the connection's current schema and
// the lease name, so instances in different schemas of one database (and
// tests) do not elect each other. Advisory locks need a direct or
// session-pooled connection: a transaction-pooling proxy would hand the
// session to others.
type PostgresElector struct {
	cfg  *pgx.ConnConfig
	opts PostgresLeaseOptions
}

// PostgresLeaseOptions tune a PostgresElector; zero fields take the
// defaults named on each.
type PostgresLeaseOptions struct {
	// Retry is how often a standby tries the lock (500 ms).
	Retry time.Duration
	// Ping is how often the holder checks its connection (500 ms).
	Ping time.Duration
	// PingTimeout bounds one check (1.5 s); keep it below the server's
	// keepalive cut-off (4 s).
	PingTimeout time.Duration
	// Handover is how long a new holder waits before Acquire returns
	// (Ping + PingTimeout: the longest the previous holder can take to
	// notice it lost the lock — its next ping, failing at the latest at
	// its timeout — and stop polling; negative: not at all).
	Handover time.Duration
	// Logger hears of connection failures (default: nobody).
	Logger *slog.Logger
}

func (o *PostgresLeaseOptions) defaults() {
	if o.Retry <= 0 {
		o.Retry = 500 * time.Millisecond
	}
	if o.Ping <= 0 {
		o.Ping = 500 * time.Millisecond
	}
	if o.PingTimeout <= 0 {
		o.PingTimeout = 1500 * time.Millisecond
	}
	if o.Handover == 0 {
		o.Handover = o.Ping + o.PingTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// NewPostgresElector returns an elector for the database at connString
// (a postgres:// URL or key=value string).
func NewPostgresElector(connString string, opts PostgresLeaseOptions) (*PostgresElector, error) {
	cfg, err := dedicatedConfig(connString, "memoria-lease")
	if err != nil {
		return nil, err
	}
	opts.defaults()
	return &PostgresElector{cfg: cfg, opts: opts}, nil
}

// Acquire implements Elector.
func (e *PostgresElector) Acquire(ctx context.Context, name string) (Lease, error) {
	held := false // someone held the lock at some try of this Acquire
	for {
		l, err := e.try(ctx, name, &held)
		if l != nil {
			return l, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			e.opts.Logger.Warn("leader election: database connection failed; retrying", "lease", name, "err", err)
		}
		if sleep(ctx, e.opts.Retry) != nil {
			return nil, ctx.Err()
		}
	}
}

// try connects and retries the lock on that connection until it is held
// (a lease), the connection fails (its error), or ctx ends.
func (e *PostgresElector) try(ctx context.Context, name string, held *bool) (*pgLease, error) {
	conn, err := connectDedicated(ctx, e.cfg)
	if err != nil {
		return nil, err
	}
	keep := false
	defer func() {
		if !keep {
			closeConn(conn)
		}
	}()
	var schema string
	if err := e.query(ctx, conn, "SELECT current_schema()", &schema); err != nil {
		return nil, err
	}
	key := lockKey(schema, name)
	for {
		var ok bool
		if err := e.query(ctx, conn, "SELECT pg_try_advisory_lock($1)", &ok, key); err != nil {
			return nil, err
		}
		if ok {
			break
		}
		*held = true
		if err := sleep(ctx, e.opts.Retry); err != nil {
			return nil, err
		}
	}
	keep = true
	l := newPGLease(conn, e.opts)
	l.watch(ctx)
	// Only a lock that was just freed under a holder needs the handover
	// wait; a lock free at the first try (a new bot's after a token change,
	// the first process to start) is taken at once.
	if e.opts.Handover > 0 && *held {
		select {
		case <-time.After(e.opts.Handover):
		case <-l.lost:
		}
		if err := l.Check(ctx); err != nil {
			l.Release()
			return nil, err
		}
	}
	return l, nil
}

// query runs a one-row query with the ping deadline.
func (e *PostgresElector) query(ctx context.Context, conn *pgx.Conn, sql string, dest any, args ...any) error {
	qctx, cancel := context.WithTimeout(ctx, e.opts.PingTimeout)
	defer cancel()
	return conn.QueryRow(qctx, sql, args...).Scan(dest)
}

// sleep waits d or until ctx ends (its error).
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// lockKey is the advisory lock key of a lease: a hash of the schema the
// instance lives in and the lease's name.
func lockKey(schema, name string) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "memoria\x00%s\x00%s", schema, name)
	return int64(h.Sum64())
}

// pgLease is a held advisory lock and the connection that holds it.
type pgLease struct {
	opts PostgresLeaseOptions
	lost chan struct{}

	mu     sync.Mutex // serialises use of conn
	conn   *pgx.Conn  // nil once the lease ended
	ended  sync.Once
	stopCx func() bool // ends the context watch
	done   chan struct{}
}

func newPGLease(conn *pgx.Conn, opts PostgresLeaseOptions) *pgLease {
	return &pgLease{opts: opts, conn: conn, lost: make(chan struct{}), done: make(chan struct{})}
}

// watch pings the connection every Ping until the lease ends, and ends
// it when ctx ends.
func (l *pgLease) watch(ctx context.Context) {
	stop := context.AfterFunc(ctx, l.Release)
	l.mu.Lock()
	l.stopCx = stop
	l.mu.Unlock()
	go func() {
		defer close(l.done)
		t := time.NewTicker(l.opts.Ping)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				_ = l.Check(context.Background())
			case <-l.lost:
				return
			}
		}
	}()
}

func (l *pgLease) Lost() <-chan struct{} { return l.lost }

// Check implements Lease: a ping on the lock's connection, bounded by
// PingTimeout whatever ctx says (a ping cut short would leave the
// connection unusable). A failed ping ends the lease.
func (l *pgLease) Check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return ErrLeaseLost
	}
	pctx, cancel := context.WithTimeout(context.Background(), l.opts.PingTimeout)
	defer cancel()
	var one int
	if err := l.conn.QueryRow(pctx, "SELECT 1").Scan(&one); err != nil {
		l.opts.Logger.Warn("leader lease lost: its database connection failed", "err", err)
		l.endLocked()
		return ErrLeaseLost
	}
	return ctx.Err()
}

// Release implements Lease.
func (l *pgLease) Release() {
	l.mu.Lock()
	l.endLocked()
	stop := l.stopCx
	l.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// endLocked closes the connection (which frees the lock) and marks the
// lease ended; l.mu is held.
func (l *pgLease) endLocked() {
	l.ended.Do(func() {
		closeConn(l.conn)
		l.conn = nil
		close(l.lost)
	})
}

// backendPID is the server process holding the lock (tests end it).
func (l *pgLease) backendPID() uint32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return 0
	}
	return l.conn.PgConn().PID()
}
