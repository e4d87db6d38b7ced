package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgSchema is a PostgreSQL schema of one phase's own: the servers get a
// URL whose search_path is the schema and whose application_name is its
// name too, so the bench finds their backends in pg_stat_activity.
type pgSchema struct {
	name  string
	url   string    // the servers' --db
	admin string    // the bench's own URL (-pg)
	conn  *pgx.Conn // the bench's connection: ANALYZE, statistics, DROP
}

// newSchema creates schema bench_<random> on the -pg server.
func (b *bench) newSchema(ctx context.Context) (*pgSchema, error) {
	if b.cfg.pg == "" {
		return nil, errors.New("no -pg URL: the PostgreSQL phases need a server")
	}
	u, err := url.Parse(b.cfg.pg)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("-pg %q: want a postgres:// URL", b.cfg.pg)
	}
	var r [6]byte
	if _, err := rand.Read(r[:]); err != nil {
		return nil, err
	}
	name := "bench_" + hex.EncodeToString(r[:])
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, b.cfg.pg)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL at %s: %w", u.Redacted(), err)
	}
	if _, err := conn.Exec(cctx, "CREATE SCHEMA "+name); err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("create schema %s: %w", name, err)
	}
	q := u.Query()
	q.Set("search_path", name)
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	return &pgSchema{name: name, url: u.String(), admin: b.cfg.pg, conn: conn}, nil
}

// drop removes the schema and everything in it.
func (s *pgSchema) drop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	defer s.conn.Close(ctx)
	if _, err := s.conn.Exec(ctx, "DROP SCHEMA "+s.name+" CASCADE"); err != nil {
		return fmt.Errorf("drop schema %s: %w", s.name, err)
	}
	return nil
}

// vacuum runs VACUUM (ANALYZE) on the schema's tables, as autovacuum
// does within a minute or two of a bulk load: the planner gets its
// statistics, and the full-text GIN index's pending list is merged into
// the index (until then every search reads the whole list).
func (s *pgSchema) vacuum(ctx context.Context) error {
	rows, err := s.conn.Query(ctx, "SELECT tablename FROM pg_tables WHERE schemaname = $1", s.name)
	if err != nil {
		return err
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, t := range tables {
		if _, err := s.conn.Exec(ctx, "VACUUM (ANALYZE) "+pgx.Identifier{s.name, t}.Sanitize()); err != nil {
			return fmt.Errorf("vacuum %s: %w", t, err)
		}
	}
	return nil
}

// memoIDs is the last id the memos' sequence handed out: every attempt
// to insert a memo takes one, including those rolled back and retried.
func (s *pgSchema) memoIDs(ctx context.Context) (int64, error) {
	var n int64
	err := s.conn.QueryRow(ctx, "SELECT last_value FROM "+pgx.Identifier{s.name, "memos_id_seq"}.Sanitize()).Scan(&n)
	return n, err
}

// backends returns the pids of the servers' PostgreSQL backends.
func (s *pgSchema) backends(ctx context.Context) ([]int, error) {
	rows, err := s.conn.Query(ctx, "SELECT pid FROM pg_stat_activity WHERE application_name = $1", s.name)
	if err != nil {
		return nil, err
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	out := make([]int, len(pids))
	for i, p := range pids {
		out[i] = int(p)
	}
	return out, err
}

// waitSampler counts, every 20 ms on a connection of its own, what the
// servers' busy backends are doing: running ("on CPU", which includes
// waiting for one), waiting on an event (IO: WalSync, Lock: …, LWLock: …)
// or "idle in transaction" (waiting for the server's next statement).
type waitSampler struct {
	counts  map[string]int
	samples int
	done    chan struct{}
	stopped chan struct{}
}

// sampleWaits starts a sampler; stop it with (*waitSampler).stop.
func (s *pgSchema) sampleWaits(ctx context.Context) (*waitSampler, error) {
	conn, err := pgx.Connect(ctx, s.admin)
	if err != nil {
		return nil, err
	}
	w := &waitSampler{counts: map[string]int{}, done: make(chan struct{}), stopped: make(chan struct{})}
	go func() {
		defer close(w.stopped)
		defer conn.Close(context.Background())
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-w.done:
				return
			case <-t.C:
			}
			rows, err := conn.Query(ctx, `SELECT CASE WHEN state = 'active'
  THEN coalesce(wait_event_type || ': ' || wait_event, 'on CPU') ELSE state END
FROM pg_stat_activity WHERE application_name = $1 AND state <> 'idle'`, s.name)
			if err != nil {
				return
			}
			got, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return
			}
			w.samples++
			for _, g := range got {
				w.counts[g]++
			}
		}
	}()
	return w, nil
}

// stop ends the sampling and returns a one-line summary: the mean number
// of busy backends and the share of each state among them.
func (w *waitSampler) stop() string {
	close(w.done)
	<-w.stopped
	total := 0
	keys := make([]string, 0, len(w.counts))
	for k, n := range w.counts {
		total += n
		keys = append(keys, k)
	}
	if w.samples == 0 || total == 0 {
		return "no busy backend seen"
	}
	slices.SortFunc(keys, func(a, b string) int { return w.counts[b] - w.counts[a] })
	var parts []string
	for _, k := range keys {
		pct := 100 * float64(w.counts[k]) / float64(total)
		if pct < 1 {
			break
		}
		parts = append(parts, fmt.Sprintf("%s %.0f%%", k, pct))
	}
	return fmt.Sprintf("%.1f busy backends on average (%d samples): %s",
		float64(total)/float64(w.samples), w.samples, strings.Join(parts, ", "))
}
