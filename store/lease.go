package store

import (
	"context"
	"errors"
	"sync"
)

// Leader election. Some work must run in exactly one of the processes
// that share a database: polling a Telegram bot (Telegram answers a second
// concurrent getUpdates with 409) or consuming its webhook inbox. An
// Elector hands out a Lease for a name to one process at a time; the
// others wait in Acquire, retrying, and take over when the holder lets go
// or dies.
//
// A holder must fence: call Check right before each step that must not
// run twice (a getUpdates, storing an offset) and stop when it fails, and
// stop at once when Lost closes. Check answers from the database, not
// from memory, so a holder whose lease ended in the database learns it
// there.
//
// On SQLite one process owns the database, so the LocalElector only
// arbitrates within the process. On PostgreSQL the PostgresElector uses a
// session advisory lock on a dedicated connection (lease_postgres.go).

// ErrLeaseLost is returned by Check once the lease is no longer held.
var ErrLeaseLost = errors.New("the lease is no longer held (another process may hold it now)")

// Elector elects, among the processes sharing a database, the one that
// holds a named lease.
type Elector interface {
	// Acquire waits until this process holds the lease called name and
	// returns it, or returns ctx's error when ctx ends first. The lease
	// ends (is released) when ctx ends.
	Acquire(ctx context.Context, name string) (Lease, error)
}

// Lease is a held election. Its methods are safe for concurrent use.
type Lease interface {
	// Lost is closed once the lease ends: lost, released, or its
	// context ended.
	Lost() <-chan struct{}
	// Check reports whether the lease is still held, asking the
	// database: nil while it is, ErrLeaseLost (or ctx's error) otherwise.
	Check(ctx context.Context) error
	// Release gives the lease up; calling it again does nothing.
	Release()
}

// LocalElector arbitrates leases within one process: the elector for a
// database only this process opens (SQLite). Its zero value is not ready;
// use NewLocalElector.
//
// Why no file lock across processes: a second process on the same SQLite
// file is not a supported setup at all (the single writer, the in-process
// change feeds and the WAL sync all assume one owner), so a lock here
// would hide that rather than make it work; refusing a second process
// belongs to Open.
type LocalElector struct {
	mu   sync.Mutex
	held map[string]chan struct{} // closed when that name is released
}

// NewLocalElector returns an in-process elector.
func NewLocalElector() *LocalElector {
	return &LocalElector{held: map[string]chan struct{}{}}
}

// Acquire implements Elector: it waits while another holder in this
// process has the name.
func (e *LocalElector) Acquire(ctx context.Context, name string) (Lease, error) {
	for {
		e.mu.Lock()
		busy, ok := e.held[name]
		if !ok {
			l := &localLease{lost: make(chan struct{})}
			e.held[name] = l.lost
			e.mu.Unlock()
			l.release = func() {
				e.mu.Lock()
				if e.held[name] == l.lost {
					delete(e.held, name)
				}
				e.mu.Unlock()
			}
			l.mu.Lock()
			l.stop = context.AfterFunc(ctx, l.Release)
			l.mu.Unlock()
			return l, nil
		}
		e.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// localLease is a LocalElector's lease.
type localLease struct {
	once    sync.Once
	lost    chan struct{}
	release func()
	mu      sync.Mutex
	stop    func() bool // ends the context watch
}

func (l *localLease) Lost() <-chan struct{} { return l.lost }

func (l *localLease) Check(ctx context.Context) error {
	select {
	case <-l.lost:
		return ErrLeaseLost
	default:
		return ctx.Err()
	}
}

func (l *localLease) Release() {
	l.once.Do(func() {
		l.release()
		close(l.lost)
	})
	l.mu.Lock()
	stop := l.stop
	l.mu.Unlock()
	if stop != nil {
		stop()
	}
}
