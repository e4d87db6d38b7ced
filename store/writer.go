package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mattn/go-sqlite3"
	"gorm.io/gorm"
)

// On SQLite, writes go through one goroutine that owns the single write
// connection and commits them in groups: whatever writes are waiting when
// a transaction starts share it, each in its own savepoint so that one
// failing write rolls back alone. Writers therefore queue instead of
// failing with SQLITE_BUSY, and the per-commit cost is shared when many
// arrive at once.
//
// A committed group goes to the syncer (sync.go), which makes the log
// durable and only then answers the group's callers, while the writer
// already runs the next group: a caller's write returns only after its
// group committed AND reached stable storage. See docs/durability.md.
//
// Once dequeued, a write runs to the end whatever its caller's context
// does: its statements run under context.WithoutCancel, so go-sqlite3 never
// interrupts them (an interrupted statement makes SQLite roll back the
// whole transaction, taking the group's other writes with it). A write
// whose context ended before its group started is skipped and told so.

// maxGroup bounds how many writes share one transaction.
const maxGroup = 128

type writeReq struct {
	ctx  context.Context
	fn   func(tx *gorm.DB) error
	done chan error
}

// groupOutcome is a group's results, handed from the writer to the syncer.
type groupOutcome struct {
	reqs    []*writeReq
	results []error
	seq     uint64 // the commit's sequence number (db.commits); 0: nothing committed
}

// sqliteWriter is SQLite's writePath: the writer goroutine above and the
// syncer (sync.go), on the DB's writer fields.
type sqliteWriter struct{ db *DB }

// tx queues fn for the writer (to share a transaction with other writes,
// in a savepoint of its own) and returns once that transaction is
// committed and synced, or with the reason it is not.
func (w sqliteWriter) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	db := w.db
	if err := db.haltErr(); err != nil {
		return err
	}
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	// The read lock keeps Close from closing the queue under a sender.
	db.closeMu.RLock()
	if db.closed.Load() {
		db.closeMu.RUnlock()
		return ErrClosed
	}
	select {
	case db.writes <- req:
	case <-ctx.Done():
		db.closeMu.RUnlock()
		return ctx.Err()
	}
	db.closeMu.RUnlock()
	// Once queued, wait for the outcome even if ctx ends: the write may
	// already be committed and the caller must not be told otherwise.
	return <-req.done
}

// shut closes the queue: the writer commits what is queued and ends.
func (w sqliteWriter) shut() { close(w.db.writes) }

// finish waits for the writer and the syncer (if started) to answer
// every queued write, then closes the writer's connection.
func (w sqliteWriter) finish() {
	db := w.db
	if db.wal != nil { // started
		<-db.done
	}
	if ps, ok := db.wconn.Statement.ConnPool.(*gorm.PreparedStmtDB); ok {
		ps.Close()
	}
	db.conn.Close()
}

// release closes the WAL's descriptors, after SQLite let go of the files.
func (w sqliteWriter) release() {
	if w.db.wal != nil {
		w.db.wal.close()
	}
}

// writer commits queued writes group by group and hands each group to the
// syncer; it ends when Close closes the queue.
func (db *DB) writer() {
	defer close(db.toSync)
	idle := time.NewTimer(searchFoldIdle)
	defer idle.Stop()
	for {
		first, ok := db.nextGroup(idle)
		if !ok {
			return
		}
		group := make([]*writeReq, 1, 16)
		group[0] = first
	fill:
		for len(group) < maxGroup {
			select {
			case req, ok := <-db.writes:
				if !ok {
					break fill
				}
				group = append(group, req)
			default:
				break fill
			}
		}
		out := db.commitGroup(group)
		db.writesSinceFold += len(out.reqs) // runTx may have added writes
		db.toSync <- out
	}
}

// nextGroup waits for the write that starts the next group, folding the
// search queue (search_fold.go) when enough writes committed since the
// last fold, or when memos are queued and none comes for a moment, or
// again after a failed fold (backing off); false once the queue of
// writes is closed.
func (db *DB) nextGroup(idle *time.Timer) (*writeReq, bool) {
	if db.writesSinceFold >= searchFoldBatch {
		db.foldSearch()
	}
	for {
		wait := searchFoldIdle
		if db.writesSinceFold == 0 {
			if db.foldRetry == 0 {
				req, ok := <-db.writes
				return req, ok
			}
			wait = db.foldRetry
		}
		idle.Reset(wait)
		select {
		case req, ok := <-db.writes:
			idle.Stop()
			return req, ok
		case <-idle.C:
			db.foldSearch()
		}
	}
}

// commitGroup runs the group in one transaction on the writer's own
// connection and returns each write's result. Transactions are begun with
// plain SQL rather than through database/sql's Tx, so the connection's
// prepared statements are reused from one transaction to the next.
func (db *DB) commitGroup(group []*writeReq) groupOutcome {
	out := &groupOutcome{reqs: group, results: make([]error, len(group))}
	if err := db.haltErr(); err != nil {
		for i := range out.results {
			out.results[i] = err
		}
		db.writesRun.Add(uint64(len(out.reqs)))
		return *out
	}
	var live []int // indexes into out.reqs
	for i, req := range group {
		if err := req.ctx.Err(); err != nil {
			out.results[i] = err // never started: nothing of it is stored
			continue
		}
		live = append(live, i)
	}
	if len(live) > 0 && db.runTx(out, live, true) {
		out.seq = db.committed(len(out.reqs))
	}
	db.writesRun.Add(uint64(len(out.reqs)))
	return *out
}

// nextWrite returns a write to add to the open transaction, if one is
// queued or arrives while the syncer is still busy with earlier commits:
// committing before the syncer is free would not answer anyone sooner
// (a group waits for a sync that starts after its commit), so the writer
// keeps filling the transaction instead, and commits fewer, larger groups.
func (db *DB) nextWrite() (*writeReq, bool) {
	for {
		select {
		case req, ok := <-db.writes:
			return req, ok
		default:
		}
		if !db.syncing.Load() {
			return nil, false
		}
		select {
		case req, ok := <-db.writes:
			return req, ok
		case <-db.syncIdle:
		}
	}
}

// runTx runs the writes out.reqs[i] for i in idx in one transaction,
// stores their results and reports whether it committed. With extend, it
// adds writes that nextWrite hands it (up to maxGroup) before committing.
// When a savepoint cannot be rolled back or released, the transaction's
// state is unknown: it is rolled back whole and, on a first attempt
// (extend), the writes not at fault run once more in a new transaction;
// otherwise they fail with the cause.
func (db *DB) runTx(out *groupOutcome, idx []int, extend bool) bool {
	if err := db.control("BEGIN IMMEDIATE"); err != nil {
		for _, i := range idx {
			out.results[i] = translate(err)
		}
		return false
	}
	// A lone write needs no savepoint: if it fails, the transaction is
	// rolled back. More writes can only join while the syncer is busy.
	single := len(idx) == 1 && !(extend && db.syncing.Load())
	fault, faultErr := -1, error(nil)
	for k := 0; ; k++ {
		if k == len(idx) {
			if single || !extend || len(out.reqs) >= maxGroup {
				break
			}
			req, ok := db.nextWrite()
			if !ok {
				break
			}
			out.reqs = append(out.reqs, req)
			if err := req.ctx.Err(); err != nil {
				out.results = append(out.results, err)
				k--
				continue
			}
			out.results = append(out.results, nil)
			idx = append(idx, len(out.reqs)-1)
		}
		i := idx[k]
		req := out.reqs[i]
		if !single {
			if err := db.control("SAVEPOINT w"); err != nil {
				fault, faultErr = i, err
				break
			}
		}
		err := req.fn(db.wconn.WithContext(context.WithoutCancel(req.ctx)))
		if err != nil {
			out.results[i] = translate(err)
			if single {
				if rerr := db.rollback(); rerr != nil {
					out.results[i] = fmt.Errorf("%w (after: %v)", rerr, out.results[i])
				}
				return false
			}
			if rerr := db.control("ROLLBACK TO w"); rerr != nil {
				fault, faultErr = i, rerr
				break
			}
		}
		if !single {
			if err := db.control("RELEASE w"); err != nil {
				fault, faultErr = i, err
				break
			}
		}
	}
	if fault < 0 && !db.inTx() {
		// SQLite rolled the transaction back by itself (some I/O errors
		// do) without any control statement failing: nothing is known to
		// be committed, and no write in particular is at fault.
		faultErr = errors.New("the transaction was rolled back by SQLite")
	}
	if faultErr != nil {
		return db.recover(out, idx, fault, faultErr, extend)
	}
	if err := db.control("COMMIT"); err != nil {
		err = fmt.Errorf("commit: %w", translate(err))
		if rerr := db.rollback(); rerr != nil {
			err = rerr
		}
		for _, i := range idx {
			if out.results[i] == nil {
				out.results[i] = err
			}
		}
		return false
	}
	return true
}

// recover handles a transaction whose state became unknown (see runTx):
// fault is the write at fault (-1 if none is known).
func (db *DB) recover(out *groupOutcome, idx []int, fault int, cause error, mayRetry bool) bool {
	results := out.results
	if fault >= 0 && results[fault] == nil {
		results[fault] = fmt.Errorf("write not applied: %w", translate(cause))
	}
	if err := db.rollback(); err != nil {
		for _, i := range idx {
			if results[i] == nil {
				results[i] = err
			}
		}
		return false
	}
	var again []int
	for _, i := range idx {
		if i != fault && results[i] == nil {
			again = append(again, i)
		}
	}
	if len(again) == 0 {
		return false
	}
	if mayRetry {
		return db.runTx(out, again, false)
	}
	for _, i := range again {
		results[i] = fmt.Errorf("write not applied, its transaction failed: %w", translate(cause))
	}
	return false
}

// rollback ends the open transaction. If ROLLBACK fails while a
// transaction is still open, the connection's state is unknown: the store
// halts writes and rollback returns the halting error.
func (db *DB) rollback() error {
	err := db.control("ROLLBACK")
	if err == nil || !db.inTx() {
		return nil // rolled back (by us or already by SQLite)
	}
	db.halt(fmt.Errorf("rollback failed: %w", err))
	return db.haltErr()
}

// inTx reports whether the write connection has a transaction open.
func (db *DB) inTx() bool {
	in := true // if the driver cannot tell, assume the transaction stands
	db.conn.Raw(func(dc any) error {
		if c, ok := dc.(*sqlite3.SQLiteConn); ok {
			in = !c.AutoCommit()
		}
		return nil
	})
	return in
}

// control runs a transaction-control statement on the writer's connection.
func (db *DB) control(sql string) error {
	if h := db.hooks.control; h != nil {
		if err := h(sql); err != nil {
			return err
		}
	}
	return execSQL(db.wconn, sql)
}

// execSQL runs a statement without arguments straight on tx's connection
// (a prepared statement of the writer's), skipping gorm's callback chain:
// transaction control is a third of the writer's statements.
func execSQL(tx *gorm.DB, sql string) error {
	_, err := tx.Statement.ConnPool.ExecContext(context.Background(), sql)
	return err
}
