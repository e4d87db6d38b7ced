package bot

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
	"github.com/memoria-app/memoria/store/storetest"
)

// leaderEnv is one database and fake Telegram with several supervisors
// ("processes") that elect the bot's runner.
type leaderEnv struct {
	*batchEnv
	ctx context.Context
}

func newLeaderEnv(t *testing.T, token, username string) *leaderEnv {
	t.Helper()
	e := &leaderEnv{batchEnv: newBatchEnv(t, token, username), ctx: context.Background()}
	if _, err := e.db.UpdateSystemSettings(e.ctx, func(s *store.SystemSettings) error {
		s.TelegramBotToken = e.tg.URL() + "/bot" + token
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return e
}

// process is one supervisor of a leaderEnv, running until stop.
type process struct {
	sup  *Supervisor
	stop func()
}

func (e *leaderEnv) start(t *testing.T, name string, el store.Elector) *process {
	t.Helper()
	sup := New(e.rules, e.db, e.db, Options{Elector: el, SharedStatus: e.db, ProcessName: name, Inbox: e.db,
		PollTimeout: 2 * time.Second, TransientBackoff: [2]time.Duration{50 * time.Millisecond, 200 * time.Millisecond}})
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sup.Run(ctx)
	}()
	p := &process{sup: sup, stop: sync.OnceFunc(func() { cancel(); <-done })}
	t.Cleanup(p.stop)
	return p
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *process) running() bool { return p.sup.active.Load() != nil }

// memoCount is how many memos the linked user has.
func (e *leaderEnv) memoCount(t *testing.T) int {
	t.Helper()
	memos, err := e.db.ListMemos(e.ctx, store.MemoQuery{CreatorID: e.user.ID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(memos)
}

// TestLeaderOneProcessRuns: of two processes one runs the bot, both
// report it as the poller, and when it stops the other takes over.
func TestLeaderOneProcessRuns(t *testing.T) {
	e := newLeaderEnv(t, "9200000001:leader_one", "leader_bot")
	el := store.NewLocalElector()
	a := e.start(t, "host-a:1", el)
	waitFor(t, 5*time.Second, "a to run the bot", a.running)
	if err := e.bot.WaitPolling(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	b := e.start(t, "host-b:2", el)
	waitFor(t, 5*time.Second, "b to read a's status", func() bool {
		st := b.sup.Status()
		return st.Poller == "host-a:1" && st.State == rules.BotRunning && st.Username == "leader_bot"
	})
	if b.running() {
		t.Fatal("the standby runs the bot too")
	}
	if st := a.sup.Status(); st.Poller != "host-a:1" || st.State != rules.BotRunning {
		t.Fatalf("leader's status = %+v", st)
	}
	e.bot.SendText(e.linked, "before the handover")
	waitFor(t, 5*time.Second, "the first memo", func() bool { return e.memoCount(t) == 1 })
	a.stop()
	waitFor(t, 5*time.Second, "b to take over", b.running)
	waitFor(t, 5*time.Second, "b's status", func() bool {
		st := b.sup.Status()
		return st.Poller == "host-b:2" && st.State == rules.BotRunning
	})
	e.bot.SendText(e.linked, "after the handover")
	waitFor(t, 5*time.Second, "the second memo", func() bool { return e.memoCount(t) == 2 })
	if n := e.bot.Conflicts(); n != 0 {
		t.Fatalf("Telegram saw two pollers at once %d times", n)
	}
	row, err := e.db.GetBotStatus(e.ctx, e.ep.BotID)
	if err != nil || row.Poller != "host-b:2" || row.State != "running" || row.Term != 2 {
		t.Fatalf("shared status = %+v, %v", row, err)
	}
}

// fencedElector hands out one lease that the database has already ended
// but whose owner was not told (Lost never closes): only Check knows.
// Every later Acquire waits, as if another process held the lease.
type fencedElector struct {
	mu     sync.Mutex
	given  bool
	checks atomic.Int64
	failAt int64 // the Check (1-based) from which the lease is gone
}

func (f *fencedElector) Acquire(ctx context.Context, name string) (store.Lease, error) {
	f.mu.Lock()
	given := f.given
	f.given = true
	f.mu.Unlock()
	if given {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return &fencedLease{e: f, lost: make(chan struct{})}, nil
}

type fencedLease struct {
	e    *fencedElector
	lost chan struct{}
}

func (l *fencedLease) Lost() <-chan struct{} { return l.lost }

func (l *fencedLease) Check(ctx context.Context) error {
	if l.e.checks.Add(1) >= l.e.failAt {
		return store.ErrLeaseLost
	}
	return ctx.Err()
}

func (l *fencedLease) Release() {}

// TestLeaderFencesOffset: a poller whose lease ended while it handled a
// batch stores no offset and asks for no more updates.
func TestLeaderFencesOffset(t *testing.T) {
	e := newLeaderEnv(t, "9200000002:leader_fence", "fence_bot")
	e.bot.SendText(e.linked, "handled, but its offset is not for us to store")
	el := &fencedElector{failAt: 2} // 1: before getUpdates; 2: before the offset
	e.start(t, "host-a:1", el)
	waitFor(t, 5*time.Second, "the memo", func() bool { return e.memoCount(t) == 1 })
	waitFor(t, 5*time.Second, "the offset check", func() bool { return el.checks.Load() >= 2 })
	time.Sleep(300 * time.Millisecond)
	if off, err := e.db.GetCursor(e.ctx, "telegram:"+fmt.Sprint(e.ep.BotID)+":offset"); err != nil || off != 0 {
		t.Fatalf("offset = %d, %v; want none stored", off, err)
	}
	polls := 0
	for _, c := range e.bot.Calls() {
		if c.Method == "getUpdates" {
			polls++
		}
	}
	if polls != 1 {
		t.Fatalf("%d getUpdates calls, want 1 (none after the lease was gone)", polls)
	}
	if n := el.checks.Load(); n != 2 {
		t.Fatalf("%d lease checks, want 2", n)
	}
}

// TestLeaderFencesGetUpdates: a lease gone before the first getUpdates
// means no getUpdates at all.
func TestLeaderFencesGetUpdates(t *testing.T) {
	e := newLeaderEnv(t, "9200000003:leader_fence2", "fence2_bot")
	el := &fencedElector{failAt: 1}
	e.start(t, "host-a:1", el)
	waitFor(t, 5*time.Second, "the check", func() bool { return el.checks.Load() >= 1 })
	time.Sleep(300 * time.Millisecond)
	for _, c := range e.bot.Calls() {
		if c.Method == "getUpdates" {
			t.Fatal("getUpdates called without the lease")
		}
	}
}

// TestLeaderPostgresTakeover: two processes elect through PostgreSQL; the
// poller's database session is killed; it stops polling at once, the
// other takes over within 2 s, and Telegram never sees two pollers.
func TestLeaderPostgresTakeover(t *testing.T) {
	url := storetest.PostgresURL(t)
	app := fmt.Sprintf("memoria-lease-test-%d", time.Now().UnixNano())
	e := newLeaderEnv(t, "9200000004:leader_pg", "pg_bot")
	elector := func() store.Elector {
		el, err := store.NewPostgresElector(url+"&application_name="+app, store.PostgresLeaseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return el
	}
	a := e.start(t, "host-a:1", elector())
	waitFor(t, 10*time.Second, "a to run the bot", a.running)
	b := e.start(t, "host-b:2", elector())
	if err := e.bot.WaitPolling(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	e.bot.SendText(e.linked, "one")
	waitFor(t, 5*time.Second, "the first memo", func() bool { return e.memoCount(t) == 1 })
	if b.running() {
		t.Fatal("both processes run the bot")
	}
	// b must have found the lock held before a's session ends: a standby
	// whose first try comes after that finds the lock free, takes it
	// without the handover wait and may meet a's last poll once (the
	// case store.PostgresElector documents; CI hit it when b's start was
	// slow and the kill came first).
	waitFor(t, 10*time.Second, "b to find the lock held", func() bool { return standbyTried(t, url, app) })
	start := time.Now()
	terminateLease(t, url, app)
	waitFor(t, 2*time.Second, "a to stop", func() bool { return !a.running() })
	waitFor(t, 4*time.Second, "b to take over", b.running) // the handover wait is 2 s; the contract allows 5
	t.Logf("takeover %s after the poller's session was killed", time.Since(start))
	e.bot.SendText(e.linked, "two")
	waitFor(t, 5*time.Second, "the second memo", func() bool { return e.memoCount(t) == 2 })
	if n := e.bot.Conflicts(); n != 0 {
		t.Fatalf("Telegram saw two pollers at once %d times", n)
	}
	waitFor(t, 5*time.Second, "a to report b as the poller", func() bool { return a.sup.Status().Poller == "host-b:2" })
}

// terminateLease ends the session holding an advisory lock among those
// named app (the holder's: the standby's session holds none).
func terminateLease(t *testing.T, url, app string) {
	t.Helper()
	if n := countLeaseSessions(t, url, app, "count(pg_terminate_backend(a.pid))", "EXISTS"); n != 1 {
		t.Fatalf("%d lease holders terminated, want 1", n)
	}
}

// standbyTried reports whether a session named app that holds no
// advisory lock has asked for one (a standby that found the lock held).
func standbyTried(t *testing.T, url, app string) bool {
	t.Helper()
	return countLeaseSessions(t, url, app, "count(*)", "a.query LIKE '%pg_try_advisory_lock%' AND NOT EXISTS") > 0
}

// countLeaseSessions evaluates count (an aggregate over pg_stat_activity
// a) for the sessions named app for which cond, followed by the subquery
// "a holds a granted advisory lock", is true.
func countLeaseSessions(t *testing.T, url, app, count, cond string) int {
	t.Helper()
	ctx := ctxT(t, 5*time.Second)
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, `SELECT `+count+` FROM pg_stat_activity a WHERE a.application_name = $1 AND `+cond+`
		(SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.granted)`, app).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
