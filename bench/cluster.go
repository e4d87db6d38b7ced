package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"connectrpc.com/connect"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/gen/memoria/v1/memoriav1connect"
)

// cluster is the servers of one database phase: one on SQLite (its own
// data directory), or one or more sharing a PostgreSQL schema of their
// own, each with its own --data directory and port.
type cluster struct {
	b       *bench
	db      *pgSchema // nil on SQLite
	dirs    []string
	servers []*server // nil while down
	token   string    // the admin's, signed up on the first server
}

// startCluster starts n servers on PostgreSQL (pg) or one on SQLite, and
// signs up an admin.
func (b *bench) startCluster(pg bool, n int) (*cluster, error) {
	if !pg && n != 1 {
		return nil, fmt.Errorf("SQLite runs one process, not %d", n)
	}
	c := &cluster{b: b}
	if pg {
		db, err := b.newSchema(context.Background())
		if err != nil {
			return nil, err
		}
		c.db = db
	}
	for i := 0; i < n; i++ {
		c.dirs = append(c.dirs, b.newDataDir())
		c.servers = append(c.servers, nil)
		if err := c.start(i); err != nil {
			c.stop()
			return nil, err
		}
	}
	tok, err := b.signUpOn(c.servers[0])
	if err != nil {
		c.stop()
		return nil, err
	}
	c.token = tok
	return c, nil
}

// start (re)starts server i on its data directory.
func (c *cluster) start(i int) error {
	var extra []string
	if c.db != nil {
		extra = []string{"--db", c.db.url}
	}
	s, _, err := c.b.start(c.dirs[i], extra...)
	if err != nil {
		return err
	}
	c.servers[i] = s
	return nil
}

// kill ends server i with SIGKILL and waits until it is gone.
func (c *cluster) kill(i int) {
	s := c.servers[i]
	c.servers[i] = nil
	s.cmd.Process.Kill()
	<-s.exited
}

// stop stops every server (SIGTERM), removes the data directories and
// drops the schema; the first error is returned. A second call does
// nothing.
func (c *cluster) stop() error {
	var first error
	keep := func(err error) {
		if first == nil {
			first = err
		}
	}
	for i, s := range c.servers {
		if s != nil {
			keep(s.stop())
			c.servers[i] = nil
		}
	}
	for _, d := range c.dirs {
		os.RemoveAll(d)
	}
	if c.db != nil {
		keep(c.db.drop())
		c.db = nil
	}
	return first
}

// logs is the end of each running server's log, for an error message.
func (c *cluster) logs() string {
	var b strings.Builder
	for i, s := range c.servers {
		if s == nil {
			continue
		}
		l := s.stderr.String()
		if len(l) > 4000 {
			l = "…" + l[len(l)-4000:]
		}
		fmt.Fprintf(&b, "\n--- server %d (pid %d) log:\n%s", i, s.cmd.Process.Pid, l)
	}
	return b.String()
}

// memoIDs is the memos' sequence on PostgreSQL (see pgSchema.memoIDs), 0
// on SQLite or when it cannot be read.
func (c *cluster) memoIDs() int64 {
	if c.db == nil {
		return 0
	}
	n, _ := c.db.memoIDs(context.Background())
	return n
}

// pids are the running servers' process ids.
func (c *cluster) pids() []int {
	var out []int
	for _, s := range c.servers {
		if s != nil {
			out = append(out, s.cmd.Process.Pid)
		}
	}
	return out
}

// memoClients are gRPC clients of the admin on every server, in order.
func (c *cluster) memoClients() []memoriav1connect.MemoServiceClient {
	p := protocols()[1]
	var out []memoriav1connect.MemoServiceClient
	for _, s := range c.servers {
		out = append(out, p.memos(s.url, c.token))
	}
	return out
}

// load stores n memos content(i) through the first server (gRPC, 16
// callers), then vacuums PostgreSQL's tables (pgSchema.vacuum) and waits for the
// processes to settle.
func (c *cluster) load(n int, content func(i int) string) error {
	memos := c.memoClients()[0]
	ctx := context.Background()
	fmt.Printf("  loading %d memos through the API (gRPC, 16 callers) ...\n", n)
	t0 := time.Now()
	if _, errs := drive(16, n, 0, func(i int) error {
		_, err := memos.CreateMemo(ctx, connect.NewRequest(&v1.CreateMemoRequest{Memo: &v1.Memo{Content: content(i)}}))
		return err
	}); errs > 0 {
		return fmt.Errorf("%d of %d loading calls failed%s", errs, n, c.logs())
	}
	el := time.Since(t0)
	fmt.Printf("  loaded in %v (%.0f memos/s)\n", el.Round(time.Millisecond), float64(n)/el.Seconds())
	if c.db != nil {
		if err := c.db.vacuum(ctx); err != nil {
			return err
		}
	}
	c.settle()
	return nil
}

// settle waits (at most 60 s) until the servers and their backends use
// under 10 % of a CPU over half a second: SQLite's idle index merger and
// PostgreSQL's work after a load would otherwise run into a measurement.
func (c *cluster) settle() {
	const window = 500 * time.Millisecond
	t0 := time.Now()
	for time.Since(t0) < 60*time.Second {
		before := c.cpu()
		time.Sleep(window)
		after := c.cpu()
		if after.total()-before.total() < window/10 {
			break
		}
	}
	fmt.Printf("  settled after %v\n", time.Since(t0).Round(time.Millisecond))
}

// cpuUse is the CPU time used so far by the servers and by their
// PostgreSQL backends, by pid.
type cpuUse struct {
	servers, backends map[int]time.Duration
}

func (c *cluster) cpu() cpuUse {
	u := cpuUse{servers: map[int]time.Duration{}, backends: map[int]time.Duration{}}
	for _, pid := range c.pids() {
		if d, err := procCPU(pid); err == nil {
			u.servers[pid] = d
		}
	}
	if c.db != nil {
		pids, _ := c.db.backends(context.Background())
		for _, pid := range pids {
			if d, err := procCPU(pid); err == nil {
				u.backends[pid] = d
			}
		}
	}
	return u
}

func (u cpuUse) total() time.Duration {
	var t time.Duration
	for _, d := range u.servers {
		t += d
	}
	for _, d := range u.backends {
		t += d
	}
	return t
}

// since is the CPU used from u0 to u per kind: a pid absent from u0 (a
// backend connected meanwhile) counts whole; one gone from u is lost.
func since(u0, u map[int]time.Duration) time.Duration {
	var t time.Duration
	for pid, d := range u {
		t += d - u0[pid]
	}
	return t
}

// meter starts measuring the CPU of the servers, their backends and this
// client; the function it returns reports each per call, and on
// PostgreSQL what the backends were doing meanwhile.
func (c *cluster) meter(group string) func(calls int) {
	u0, cli0 := c.cpu(), selfCPU()
	var w *waitSampler
	if c.db != nil {
		w, _ = c.db.sampleWaits(context.Background())
	}
	return func(calls int) {
		u, cli := c.cpu(), selfCPU()
		if w != nil {
			fmt.Printf("  PostgreSQL: %s\n", w.stop())
		}
		if calls == 0 {
			return
		}
		per := func(d time.Duration) float64 { return float64(d) / float64(calls) / 1e3 }
		c.b.add(result{group: group, name: "server CPU per call", value: per(since(u0.servers, u.servers)), unit: "µs"})
		if c.db != nil {
			c.b.add(result{group: group, name: "PostgreSQL backends' CPU per call", value: per(since(u0.backends, u.backends)), unit: "µs"})
		}
		c.b.add(result{group: group, name: "client CPU per call", value: per(cli - cli0), unit: "µs"})
	}
}

// poller asks every running server's GetBotStatus who polls and returns
// the index of the server whose pid they all name, or -1 while they do
// not agree on a running one.
func (c *cluster) poller(ctx context.Context) int {
	who := -1
	for _, s := range c.servers {
		if s == nil {
			continue
		}
		bots := memoriav1connect.NewBotServiceClient(http.DefaultClient, s.url, connect.WithProtoJSON(), connect.WithInterceptors(bearer(c.token)))
		resp, err := bots.GetBotStatus(ctx, connect.NewRequest(&v1.GetBotStatusRequest{}))
		if err != nil || resp.Msg.GetState() != v1.BotState_BOT_STATE_RUNNING {
			return -1
		}
		p := resp.Msg.GetPoller()
		pid, err := strconv.Atoi(p[strings.LastIndexByte(p, ':')+1:])
		if err != nil {
			return -1
		}
		found := -1
		for j, t := range c.servers {
			if t != nil && t.cmd.Process.Pid == pid {
				found = j
			}
		}
		if found < 0 || (who >= 0 && found != who) {
			return -1
		}
		who = found
	}
	return who
}

// waitPoller waits (at most 30 s) until the running servers agree on a
// poller and returns its index.
func (c *cluster) waitPoller(ctx context.Context) (int, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		if who := c.poller(ctx); who >= 0 {
			return who, nil
		}
		if time.Now().After(deadline) {
			return -1, fmt.Errorf("the servers did not agree on a running poller within 30 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// processes names a count of processes.
func processes(n int) string {
	if n == 1 {
		return "one process"
	}
	return fmt.Sprintf("%d processes", n)
}
