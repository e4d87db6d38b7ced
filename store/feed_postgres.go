package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
)

// pgChanges carries changes between the processes sharing a PostgreSQL
// database. Writers add a change_log row and a NOTIFY in their own
// transaction (logChange); each process runs one listener on a dedicated
// connection (pg_dedicated.go) that LISTENs and, on every wake-up, after
// every reconnect and every SafetyRead in any case, reads the rows it has
// not seen and hands them out here: memo events to this process's memo
// subscribers, settings changes to the settings feed, invalidations to
// the caches, inbox and bot-status changes to their watchers. NOTIFY
// only wakes: what is delivered is what the rows say, so a lost
// notification or a reconnect costs latency, never a change.
//
// pgChanges is the memo event feed (memoEventFeed) on PostgreSQL; the
// other kinds ride on it (see DB.pgChanges).
//
// Order: rows are read in id order, but ids are taken before commit, so
// a row may become visible after one with a higher id (its transaction
// committed later). The listener does not hold later rows back for it —
// that would make every change wait for the slowest transaction in
// flight — but remembers the gap and delivers the row when it appears.
// Changes to one memo still arrive in order: a write changes the memo's
// row before it stages its events, so a second write to the memo waits
// for the first to commit before it takes its id. A gap is given up once
// every transaction that could fill it has ended (see read), or after
// LostAfter.
type pgChanges struct {
	cfg   *pgx.ConnConfig
	opts  pgFeedOptions
	log   *slog.Logger
	hooks pgFeedHooks

	memos     *localMemoFeed // this process's memo subscribers
	botStatus inboxSignal    // watchers of bot status changes

	invMu sync.Mutex
	inv   []func(Invalidation)

	cancel context.CancelFunc
	done   chan struct{}
	// joins are memo subscriptions waiting for the listener to read
	// everything committed so far (see subscribe).
	joins chan subscribeReq

	// The listener's state (its goroutine only).
	last     int64               // highest id read
	gaps     map[int64]changeGap // ids below last not seen yet
	lastRead time.Time           // last complete read
	pruned   time.Time
	// settingsDue: a settings change was read but the settings could
	// not be re-read yet.
	settingsDue bool
}

// changeGap is an id the listener has not seen below one it has.
type changeGap struct {
	// until is a transaction id the listener took right after finding
	// the gap: the row's transaction, if it is to commit, has an id
	// below it (see read).
	until uint64
	found time.Time
}

// pgFeedOptions tune the listener; zero fields take the defaults named.
type pgFeedOptions struct {
	// SafetyRead is how often the log is read without a notification
	// (2 s); it also finds a dead connection.
	SafetyRead time.Duration
	// Keep is how long rows stay in the log (10 min).
	Keep time.Duration
	// PruneEvery spaces the pruning (1 min).
	PruneEvery time.Duration
	// LostAfter: a listener that could not read for this long assumes
	// the rows it missed may be pruned, and resynchronises everyone
	// instead of reading them (Keep / 2).
	LostAfter time.Duration
	// Retry spaces reconnection attempts (250 ms, doubling to 5 s).
	Retry time.Duration
}

func (o *pgFeedOptions) defaults() {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.SafetyRead, 2*time.Second)
	def(&o.Keep, 10*time.Minute)
	def(&o.PruneEvery, time.Minute)
	def(&o.LostAfter, o.Keep/2)
	def(&o.Retry, 250*time.Millisecond)
}

// pgFeedHooks are where the kinds other than memo events go.
type pgFeedHooks struct {
	// settings re-reads the system settings and publishes them to this
	// process's settings subscribers. An error makes the listener try
	// again at its next read.
	settings func(ctx context.Context) error
	// inbox wakes this process's webhook inbox watchers.
	inbox func()
}

// readBatch bounds the rows one query reads.
const readBatch = 500

// maxGapSpan bounds the gaps remembered for one jump of ids (a sequence
// advanced by hand, or by many rolled-back writes): beyond it the ids
// are skipped unseen.
const maxGapSpan = 1000

// newPGChanges connects the listener (failing when it cannot, so that a
// misconfigured database fails at open) and starts it.
func newPGChanges(ctx context.Context, connString string, log *slog.Logger, hooks pgFeedHooks, opts pgFeedOptions) (*pgChanges, error) {
	cfg, err := dedicatedConfig(connString, "memoria-listen")
	if err != nil {
		return nil, err
	}
	opts.defaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if hooks.settings == nil {
		hooks.settings = func(context.Context) error { return nil }
	}
	if hooks.inbox == nil {
		hooks.inbox = func() {}
	}
	p := &pgChanges{cfg: cfg, opts: opts, log: log.With("component", "change-listener"), hooks: hooks,
		memos: newLocalMemoFeed(), gaps: map[int64]changeGap{}, done: make(chan struct{}), joins: make(chan subscribeReq)}
	conn, err := p.connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("start the change listener: %w", err)
	}
	if err := conn.QueryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM change_log").Scan(&p.last); err != nil {
		closeConn(conn)
		return nil, fmt.Errorf("start the change listener: %w", err)
	}
	p.lastRead, p.pruned = time.Now(), time.Now()
	lctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go p.run(lctx, conn)
	return p, nil
}

// connect opens the listener's connection and LISTENs on it.
func (p *pgChanges) connect(ctx context.Context) (*pgx.Conn, error) {
	conn, err := connectDedicated(ctx, p.cfg)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+changeChannel); err != nil {
		closeConn(conn)
		return nil, err
	}
	return conn, nil
}

// run is the listener: it serves on conn until the connection fails,
// then reconnects (and catches up) until ctx ends.
func (p *pgChanges) run(ctx context.Context, conn *pgx.Conn) {
	defer close(p.done)
	wait := p.opts.Retry
	for {
		err := p.serve(ctx, conn)
		closeConn(conn)
		if ctx.Err() != nil {
			return
		}
		p.log.Warn("change listener: connection failed; reconnecting", "err", err)
		for {
			if sleep(ctx, wait) != nil {
				return
			}
			conn, err = p.connect(ctx)
			if err == nil {
				wait = p.opts.Retry
				break
			}
			wait = min(2*wait, 5*time.Second)
			p.log.Warn("change listener: cannot reconnect", "err", err, "retry_in", wait)
		}
	}
}

// serve catches up, then reads after every notification (and every
// SafetyRead) until the connection fails or ctx ends.
func (p *pgChanges) serve(ctx context.Context, conn *pgx.Conn) error {
	for {
		if time.Since(p.lastRead) > p.opts.LostAfter {
			if err := p.resync(ctx, conn); err != nil {
				return err
			}
		} else if err := p.read(ctx, conn); err != nil {
			return err
		}
		if time.Since(p.pruned) > p.opts.PruneEvery {
			if err := p.prune(ctx, conn); err != nil {
				return err
			}
		}
		wctx, cancel := context.WithTimeout(ctx, p.opts.SafetyRead)
		var joining []subscribeReq
		joined := make(chan struct{})
		go func() { // a subscriber asking to join ends the wait early
			defer close(joined)
			select {
			case r := <-p.joins:
				joining = append(joining, r)
				cancel()
			case <-wctx.Done():
			}
		}()
		_, err := conn.WaitForNotification(wctx)
		cancel()
		<-joined
		switch {
		case ctx.Err() != nil:
			for _, r := range joining {
				close(r.reply)
			}
			return ctx.Err()
		case err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled):
			for _, r := range joining {
				close(r.reply)
			}
			return err
		}
		drainNotifications(conn)
		if len(joining) > 0 {
			// Everything committed before the subscriber asked is read and
			// handed out first: it hears only what commits after.
			err := p.read(ctx, conn)
			for _, r := range joining {
				r.reply <- p.memos.subscribe(r.ctx, r.buffer)
			}
			if err != nil {
				return err
			}
		}
	}
}

// subscribeReq is a memo subscription waiting to join (see subscribe).
type subscribeReq struct {
	ctx    context.Context
	buffer int
	reply  chan *MemoSubscription
}

// drainNotifications takes the notifications already received: one read
// serves them all.
func drainNotifications(conn *pgx.Conn) {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	for {
		// With an ended context this returns a buffered notification, or
		// an error without touching the connection.
		if n, _ := conn.WaitForNotification(done); n == nil {
			return
		}
	}
}

// change is one change_log row.
type change struct {
	id      int64
	kind    changeKind
	payload []byte
}

// read reads and hands out the rows not seen yet: those filling gaps,
// then those after the last seen.
//
// Giving up a gap: the transaction that took the missing id took its
// transaction id first (logChange), before the later row took its id,
// so before the read that found the gap. Right after that read the
// listener takes a transaction id of its own (its one-statement
// transaction, committed at once): it is above the missing row's. Once
// the oldest running transaction (a later snapshot's xmin) is at or past
// it, the missing row's transaction has ended: if the read after that
// snapshot does not see the row, it never will.
//
// The bound must be a fresh transaction id, not the snapshot's xmax:
// xmax is one past the newest *completed* transaction, and a running
// transaction that took its id after that one is above xmax and listed
// nowhere in the snapshot. The newest-id writer committing last is the
// common case under concurrent writes: with xmax as the bound its gap
// was given up while it still ran and its row, committed after, never
// delivered (issue 11: 798 of 800 events).
func (p *pgChanges) read(ctx context.Context, conn *pgx.Conn) error {
	o := &outcome{}
	if len(p.gaps) > 0 {
		xmin, err := snapshotXmin(ctx, conn)
		if err != nil {
			return err
		}
		ids := make([]int64, 0, len(p.gaps))
		for id := range p.gaps {
			ids = append(ids, id)
		}
		rows, err := readChanges(ctx, conn, "SELECT id, kind, payload FROM change_log WHERE id = ANY($1) ORDER BY id", ids)
		if err != nil {
			return err
		}
		for _, c := range rows {
			delete(p.gaps, c.id)
			p.deliver(c, o)
		}
		for id, g := range p.gaps {
			if xmin >= g.until || time.Since(g.found) > p.opts.LostAfter {
				delete(p.gaps, id)
			}
		}
	}
	for {
		rows, err := readChanges(ctx, conn, "SELECT id, kind, payload FROM change_log WHERE id > $1 ORDER BY id LIMIT $2", p.last, readBatch)
		if err != nil {
			return err
		}
		var found []int64
		for _, c := range rows {
			if c.id-p.last <= maxGapSpan {
				for id := p.last + 1; id < c.id; id++ {
					found = append(found, id)
				}
			}
			p.last = c.id
			p.deliver(c, o)
		}
		if len(found) > 0 {
			until, err := freshXID(ctx, conn)
			if err != nil {
				return err
			}
			now := time.Now()
			for _, id := range found {
				p.gaps[id] = changeGap{until: until, found: now}
			}
		}
		if len(rows) < readBatch {
			break
		}
	}
	p.lastRead = time.Now()
	return p.finish(ctx, o)
}

// outcome collects what a read found beyond memo events and
// invalidations, which are handed out at once: the wake-ups, one each
// however many rows asked for it.
type outcome struct {
	settings, inbox, botStatus bool
}

// deliver hands one row out.
func (p *pgChanges) deliver(c change, o *outcome) {
	switch c.kind {
	case changeMemo:
		var events []MemoEvent
		if err := json.Unmarshal(c.payload, &events); err != nil {
			p.log.Error("change listener: unreadable memo events", "id", c.id, "err", err)
			return
		}
		t, _ := p.memos.stage(nil, events)
		p.memos.settle(t, true)
	case changeInvalidate:
		var inv Invalidation
		if err := json.Unmarshal(c.payload, &inv); err != nil {
			p.log.Error("change listener: unreadable invalidation", "id", c.id, "err", err)
			inv = Invalidation{Kind: InvalidateAll}
		}
		p.invalidate(inv)
	case changeSettings:
		o.settings = true
	case changeInbox:
		o.inbox = true
	case changeBotStatus:
		o.botStatus = true
	default:
		p.log.Warn("change listener: unknown change kind (a newer version wrote it?)", "id", c.id, "kind", c.kind)
	}
}

// finish sends a read's wake-ups.
func (p *pgChanges) finish(ctx context.Context, o *outcome) error {
	if o.inbox {
		p.hooks.inbox()
	}
	if o.botStatus {
		p.botStatus.wake()
	}
	if o.settings || p.settingsDue {
		p.settingsDue = false
		if err := p.hooks.settings(ctx); err != nil && ctx.Err() == nil {
			// Not the listener's connection's fault: try again at the
			// next read.
			p.settingsDue = true
			p.log.Warn("change listener: cannot re-read the settings; retrying", "err", err)
		}
	}
	return nil
}

// resync starts afresh after the listener was away so long that rows it
// missed may be pruned: memo subscribers end with ErrEventsLost (they
// reload), caches are dropped, settings re-read, watchers woken.
func (p *pgChanges) resync(ctx context.Context, conn *pgx.Conn) error {
	var last int64
	if err := conn.QueryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM change_log").Scan(&last); err != nil {
		return err
	}
	p.log.Warn("change listener: was cut off too long to catch up; resynchronising", "since", p.lastRead)
	p.last, p.gaps = last, map[int64]changeGap{}
	p.memos.lose()
	p.invalidate(Invalidation{Kind: InvalidateAll})
	p.lastRead = time.Now()
	return p.finish(ctx, &outcome{settings: true, inbox: true, botStatus: true})
}

// prune deletes rows older than Keep (by the database's clock, so that
// the processes' clocks need not agree).
func (p *pgChanges) prune(ctx context.Context, conn *pgx.Conn) error {
	p.pruned = time.Now()
	_, err := conn.Exec(ctx, "DELETE FROM change_log WHERE created_at < (extract(epoch FROM clock_timestamp()) * 1000000)::bigint - $1",
		p.opts.Keep.Microseconds())
	return err
}

// readChanges runs a query for change rows.
func readChanges(ctx context.Context, conn *pgx.Conn, sql string, args ...any) ([]change, error) {
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (change, error) {
		var c change
		var kind string
		err := r.Scan(&c.id, &kind, &c.payload)
		c.kind = changeKind(kind)
		return c, err
	})
}

// snapshotXmin returns the oldest transaction id still running (the
// current snapshot's xmin).
func snapshotXmin(ctx context.Context, conn *pgx.Conn) (uint64, error) {
	var v uint64
	err := conn.QueryRow(ctx, "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::numeric::bigint").Scan(&v)
	return v, err
}

// freshXID assigns the listener's one-statement transaction an id and
// returns it: every transaction that took its id before is below it.
// It costs one transaction id (and a commit record), only on reads that
// found a gap.
func freshXID(ctx context.Context, conn *pgx.Conn) (uint64, error) {
	var v uint64
	err := conn.QueryRow(ctx, "SELECT pg_current_xact_id()::text::numeric::bigint").Scan(&v)
	return v, err
}

// onInvalidate registers an invalidation callback.
func (p *pgChanges) onInvalidate(fn func(Invalidation)) {
	p.invMu.Lock()
	p.inv = append(p.inv, fn)
	p.invMu.Unlock()
}

func (p *pgChanges) invalidate(inv Invalidation) {
	p.invMu.Lock()
	fns := p.inv
	p.invMu.Unlock()
	for _, fn := range fns {
		fn(inv)
	}
}

// stage implements memoEventFeed: the events become a change_log row of
// the write's transaction.
func (p *pgChanges) stage(tx *gorm.DB, events []MemoEvent) (memoEventTicket, error) {
	if len(events) == 0 {
		return memoEventTicket{}, nil
	}
	b, err := json.Marshal(events)
	if err != nil {
		return memoEventTicket{}, err
	}
	return memoEventTicket{}, logChange(tx, changeMemo, b)
}

// settle implements memoEventFeed: nothing to do, the listener delivers
// the row once it is committed.
func (p *pgChanges) settle(memoEventTicket, bool) {}

// subscribe hands the subscription to the listener, which attaches it
// right after a read of everything committed so far: the subscriber hears
// exactly the changes that commit after it subscribed, as on SQLite.
// Should the listener not answer within joinTimeout (its connection
// down), the subscription starts at once.
func (p *pgChanges) subscribe(ctx context.Context, buffer int) *MemoSubscription {
	r := subscribeReq{ctx: ctx, buffer: buffer, reply: make(chan *MemoSubscription, 1)}
	t := time.NewTimer(joinTimeout)
	defer t.Stop()
	select {
	case p.joins <- r:
		select {
		case sub, ok := <-r.reply:
			if ok {
				return sub
			}
		case <-t.C:
		}
	case <-t.C:
	case <-p.done:
	}
	return p.memos.subscribe(ctx, buffer)
}

// joinTimeout bounds how long subscribe waits for the listener.
const joinTimeout = 5 * time.Second

// close stops the listener and ends the memo subscriptions.
func (p *pgChanges) close() {
	p.cancel()
	<-p.done
	p.memos.close()
}

// startPGChanges starts this process's change listener on the database
// at connString and makes it the memo event feed, with the settings feed
// and the inbox watchers fed from it. Open calls it for PostgreSQL once
// db is built, before any subscriber can subscribe; Close stops it
// (through memoEvents.close).
func (db *DB) startPGChanges(ctx context.Context, connString string, log *slog.Logger) error {
	pc, err := newPGChanges(ctx, connString, log, pgFeedHooks{
		settings: func(ctx context.Context) error {
			s, err := db.GetSystemSettings(ctx)
			if err != nil {
				return err
			}
			db.feed.mu.Lock()
			defer db.feed.mu.Unlock()
			db.feed.publishLocked(s)
			return nil
		},
		inbox: db.inbox.wake,
	}, pgFeedOptions{})
	if err != nil {
		return err
	}
	db.memoEvents = pc
	return nil
}
