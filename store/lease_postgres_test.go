package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/memoria-app/memoria/store/internal/testdb"
)

// newTestElector is one "process" electing on the schema at url.
func newTestElector(t *testing.T, url string) *PostgresElector {
	t.Helper()
	e, err := NewPostgresElector(url, PostgresLeaseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// acquireAsync runs Acquire in the background; the result arrives on the
// channel.
func acquireAsync(ctx context.Context, e Elector, name string) <-chan Lease {
	c := make(chan Lease, 1)
	go func() {
		l, err := e.Acquire(ctx, name)
		if err != nil {
			close(c)
			return
		}
		c <- l
	}()
	return c
}

// mustAcquire acquires a free lease; the lease lives as long as ctx.
func mustAcquire(t *testing.T, ctx context.Context, e Elector, name string) Lease {
	t.Helper()
	l, err := e.Acquire(ctx, name)
	if err != nil {
		t.Fatalf("acquire %s: %v", name, err)
	}
	return l
}

// terminateBackend ends a backend from another session, as an admin (or a
// failover) would.
func terminateBackend(t *testing.T, url string, pid uint32) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var ok bool
	if err := c.QueryRow(ctx, "SELECT pg_terminate_backend($1)", pid).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_terminate_backend(%d) = %v, %v", pid, ok, err)
	}
}

func TestPostgresLeaseOneHolder(t *testing.T) {
	url := testdb.PostgresURL(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, b := newTestElector(t, url), newTestElector(t, url)
	la := mustAcquire(t, ctx, a, "telegram:1")
	got := acquireAsync(ctx, b, "telegram:1")
	select {
	case <-got:
		t.Fatal("a second process acquired a held lease")
	case <-time.After(2 * time.Second):
	}
	if err := la.Check(ctx); err != nil {
		t.Fatalf("holder's Check = %v", err)
	}
	// Another name is a separate election.
	lb := mustAcquire(t, ctx, b, "telegram:2")
	lb.Release()
	// Release hands over.
	start := time.Now()
	la.Release()
	select {
	case l := <-got:
		if l == nil {
			t.Fatal("standby's Acquire failed")
		}
		t.Logf("takeover after release: %s", time.Since(start))
		if err := l.Check(ctx); err != nil {
			t.Fatalf("new holder's Check = %v", err)
		}
		l.Release()
	case <-time.After(4 * time.Second): // the handover wait is 2 s; the contract allows 5
		t.Fatal("standby did not take over within 4 s of the release")
	}
	if err := la.Check(ctx); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("released lease's Check = %v, want ErrLeaseLost", err)
	}
	select {
	case <-la.Lost():
	default:
		t.Fatal("Lost not closed after Release")
	}
}

// TestPostgresLeaseBackendKilled: the holder's session is ended on the
// server; the holder learns it by its ping and the standby takes over, and
// the holder has stopped before the standby's Acquire returns.
func TestPostgresLeaseBackendKilled(t *testing.T) {
	url := testdb.PostgresURL(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, b := newTestElector(t, url), newTestElector(t, url)
	la := mustAcquire(t, ctx, a, "bot")
	got := acquireAsync(ctx, b, "bot")
	time.Sleep(700 * time.Millisecond) // the standby is retrying
	var lostAt time.Time
	lostSeen := make(chan struct{})
	go func() {
		<-la.Lost()
		lostAt = time.Now()
		close(lostSeen)
	}()
	start := time.Now()
	terminateBackend(t, url, la.(*pgLease).backendPID())
	var lb Lease
	select {
	case lb = <-got:
		if lb == nil {
			t.Fatal("standby's Acquire failed")
		}
	case <-time.After(4 * time.Second):
		t.Fatal("standby did not take over within 4 s of the holder's backend being killed")
	}
	tookOver := time.Now()
	t.Logf("takeover after pg_terminate_backend: %s", tookOver.Sub(start))
	select {
	case <-lostSeen:
	case <-time.After(time.Second):
		t.Fatal("old holder's Lost not closed")
	}
	if lostAt.After(tookOver) {
		t.Fatalf("old holder noticed its loss %s after the new one took over", lostAt.Sub(tookOver))
	}
	if err := la.Check(ctx); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("old holder's Check = %v, want ErrLeaseLost", err)
	}
	if err := lb.Check(ctx); err != nil {
		t.Fatalf("new holder's Check = %v", err)
	}
	lb.Release()
}

// TestPostgresLeaseCheckFencesAtOnce: Check asks the database, so a lease
// whose session was ended fails Check at once, before the next ping.
func TestPostgresLeaseCheckFencesAtOnce(t *testing.T) {
	url := testdb.PostgresURL(t)
	ctx := context.Background()
	e, err := NewPostgresElector(url, PostgresLeaseOptions{Ping: time.Hour, Handover: -1})
	if err != nil {
		t.Fatal(err)
	}
	l := mustAcquire(t, ctx, e, "bot")
	terminateBackend(t, url, l.(*pgLease).backendPID())
	if err := l.Check(ctx); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("Check after the session ended = %v, want ErrLeaseLost", err)
	}
	select {
	case <-l.Lost():
	default:
		t.Fatal("Lost not closed after a failed Check")
	}
}

func TestPostgresLeaseContextCancel(t *testing.T) {
	url := testdb.PostgresURL(t)
	a, b := newTestElector(t, url), newTestElector(t, url)
	actx, acancel := context.WithCancel(context.Background())
	la := mustAcquire(t, actx, a, "bot")
	// A standby whose context ends stops waiting.
	wctx, wcancel := context.WithCancel(context.Background())
	waiting := make(chan error, 1)
	go func() {
		_, err := b.Acquire(wctx, "bot")
		waiting <- err
	}()
	time.Sleep(300 * time.Millisecond)
	wcancel()
	select {
	case err := <-waiting:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled Acquire = %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Acquire did not return after its context ended")
	}
	// The holder's context ending releases the lease.
	got := acquireAsync(context.Background(), b, "bot")
	acancel()
	select {
	case <-la.Lost():
	case <-time.After(time.Second):
		t.Fatal("lease not ended by its context")
	}
	select {
	case l := <-got:
		if l == nil {
			t.Fatal("standby's Acquire failed")
		}
		l.Release()
	case <-time.After(4 * time.Second):
		t.Fatal("standby did not take over after the holder's context ended")
	}
}

// TestPostgresLeaseSchemas: instances in different schemas of one
// database elect separately.
func TestPostgresLeaseSchemas(t *testing.T) {
	ctx := context.Background()
	l1 := mustAcquire(t, ctx, newTestElector(t, testdb.PostgresURL(t)), "bot")
	defer l1.Release()
	l2 := mustAcquire(t, ctx, newTestElector(t, testdb.PostgresURL(t)), "bot")
	l2.Release()
}

// TestPostgresLeaseKeepalives: the lease's session asks the server for
// tight keepalives, so that the server frees the lock of a client that
// vanished.
func TestPostgresLeaseKeepalives(t *testing.T) {
	url := testdb.PostgresURL(t)
	l := mustAcquire(t, context.Background(), newTestElector(t, url), "bot").(*pgLease)
	defer l.Release()
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, want := range map[string]string{"tcp_keepalives_idle": "2", "tcp_keepalives_interval": "1", "tcp_keepalives_count": "2", "tcp_user_timeout": "4000", "application_name": "memoria-lease"} {
		var v string
		if err := l.conn.QueryRow(context.Background(), "SELECT current_setting($1)", k).Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != want {
			t.Errorf("%s = %q, want %q", k, v, want)
		}
	}
}

// TestPostgresElectorUnreachable: a standby whose database is down keeps
// retrying and returns when its context ends.
func TestPostgresElectorUnreachable(t *testing.T) {
	e, err := NewPostgresElector("postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=1", PostgresLeaseOptions{Retry: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if _, err := e.Acquire(ctx, "bot"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire against a dead server = %v, want the context's deadline", err)
	}
}

// TestPostgresLeaseSilentNetwork: the network between the holder and the
// server stops passing packets without closing anything. The holder's
// ping times out and it gives the lease up within Ping + PingTimeout;
// once the server side of the link goes too (here: the proxy cut), the
// standby takes over.
func TestPostgresLeaseSilentNetwork(t *testing.T) {
	url := testdb.PostgresURL(t)
	proxy, viaProxy := newPGProxy(t, url)
	ctx := context.Background()
	a := newTestElector(t, viaProxy)
	la := mustAcquire(t, ctx, a, "bot")
	got := acquireAsync(ctx, newTestElector(t, url), "bot")
	start := time.Now()
	proxy.freeze()
	select {
	case <-la.Lost():
		t.Logf("holder gave up %s after the network went silent", time.Since(start))
	case <-time.After(3 * time.Second):
		t.Fatal("holder kept a lease over a silent connection")
	}
	if err := la.Check(ctx); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("Check = %v", err)
	}
	select {
	case <-got:
		t.Fatal("standby acquired while the server still had the old session")
	default:
	}
	proxy.cut()
	select {
	case l := <-got:
		if l == nil {
			t.Fatal("standby's Acquire failed")
		}
		l.Release()
	case <-time.After(3 * time.Second):
		t.Fatal("standby did not take over once the old session ended")
	}
}
