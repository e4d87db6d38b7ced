package app_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/memoria-app/memoria/bot/telegramtest"
	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/store/storetest"
)

// cluster is several memoria binaries sharing one PostgreSQL schema, each
// with its own --data directory and port on loopback.
type cluster struct {
	t     *testing.T
	bin   string
	db    string
	dirs  []string
	addrs []string
	procs []*process    // nil while down
	up    []atomic.Bool // procs[i] != nil, for other goroutines (the front)
}

func startCluster(t *testing.T, n int) *cluster {
	t.Helper()
	c := &cluster{t: t, bin: buildBinary(t), db: storetest.PostgresURL(t)}
	root := t.TempDir()
	for i := 0; i < n; i++ {
		c.dirs = append(c.dirs, filepath.Join(root, strconv.Itoa(i), "data"))
		c.addrs = append(c.addrs, freeAddr(t))
		c.procs = append(c.procs, nil)
	}
	c.up = make([]atomic.Bool, n)
	for i := 0; i < n; i++ {
		c.start(i)
	}
	t.Cleanup(func() {
		for i, p := range c.procs {
			if p != nil {
				p.stop(t)
				c.procs[i] = nil
			}
		}
	})
	return c
}

func (c *cluster) start(i int) {
	c.t.Helper()
	if err := os.MkdirAll(c.dirs[i], 0o750); err != nil {
		c.t.Fatal(err)
	}
	c.procs[i] = startBinaryArgs(c.t, c.bin, c.addrs[i], c.dirs[i], "--db", c.db)
	c.up[i].Store(true)
}

func (c *cluster) kill(i int) {
	c.up[i].Store(false)
	c.procs[i].kill()
	c.procs[i] = nil
}

func (c *cluster) url(i int) string { return "http://" + c.addrs[i] }

func (c *cluster) server(i int) *testServer { return &testServer{tb: c.t, URL: c.url(i)} }

// live returns the indexes of the running processes.
func (c *cluster) live() []int {
	var out []int
	for i, p := range c.procs {
		if p != nil {
			out = append(out, i)
		}
	}
	return out
}

// poller returns the index of the process whose pid GetBotStatus names
// as the poller (asked of every live process: all must agree), or -1.
func (c *cluster) poller(admin string) int {
	c.t.Helper()
	who := -1
	for _, i := range c.live() {
		st := botStatus(c.t, c.server(i), admin)
		if st.Poller == "" {
			return -1
		}
		pid, err := strconv.Atoi(st.Poller[strings.LastIndexByte(st.Poller, ':')+1:])
		if err != nil {
			c.t.Fatalf("poller %q: not host:pid", st.Poller)
		}
		found := -1
		for j, p := range c.procs {
			if p != nil && p.cmd.Process.Pid == pid {
				found = j
			}
		}
		if who != -1 && found != who {
			return -1 // not settled yet: processes disagree
		}
		who = found
	}
	return who
}

// waitPoller waits until the live processes agree on a poller.
func (c *cluster) waitPoller(admin string) int {
	c.t.Helper()
	who := -1
	eventually(c.t, 15*time.Second, "every process naming the same live poller", func() bool {
		who = c.poller(admin)
		return who >= 0
	})
	return who
}

// firstCallAfter is the time of the first call of method to b after t.
func firstCallAfter(b *telegramtest.Bot, method string, t time.Time) (time.Time, bool) {
	for _, call := range b.Calls() {
		if call.Method == method && call.Time.After(t) {
			return call.Time, true
		}
	}
	return time.Time{}, false
}

// TestSeveralProcesses runs three memoria processes on one PostgreSQL
// database: the poller is killed with SIGKILL at random points while 2,000
// queued updates (texts, photos, albums) are ingested, and every update
// ends up stored exactly once with byte-equal files, with never two
// pollers at once (the fake's 409 count) and each takeover within 5 s; a
// token saved on a standby reaches the poller; a memo created through one
// process reaches WatchMemos on another within a second; and in webhook
// mode, updates delivered round-robin to all three, one of them killed,
// are stored exactly once too.
func TestSeveralProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary three times")
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 11))
	t.Logf("seed %d", seed)
	c := startCluster(t, 3)
	tg := telegramtest.NewServer()
	defer tg.Close()
	const token = "6100000001:AAseveral_processes"
	tgBot := tg.AddBot(token, "several_bot")
	tgBot.SetMaxBatch(37) // batches cut albums apart

	s0 := c.server(0)
	_, admin := s0.signUp("admin")
	_, user := s0.createUser(admin, "alice")
	alice := telegramtest.User{ID: 515151, FirstName: "Alice"}
	c.server(1).linkTelegram(user, alice.ID)
	want := enqueueBurst(tgBot, alice, 2000, rng)
	c.server(2).setToken(admin, tg.URL()+"/bot"+token)

	// Polling: kill the poller at four random points of the burst.
	first := want.last - 2000 + 1
	var points []int64
	for i := 0; i < 4; i++ {
		points = append(points, first+int64(rng.IntN(1900)))
	}
	slices.Sort(points)
	var failovers []time.Duration
	for k, point := range points {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		if err := tgBot.WaitConfirmed(ctx, point); err != nil {
			t.Fatalf("stalled before update %d: %d confirmed", point, tgBot.Confirmed())
		}
		cancel()
		time.Sleep(time.Duration(rng.IntN(30)) * time.Millisecond)
		victim := c.waitPoller(admin)
		killed := time.Now()
		c.kill(victim)
		t.Logf("kill %d: process %d (the poller) at %d of 2000 confirmed", k+1, victim, tgBot.Confirmed()-first+1)
		var took time.Duration
		eventually(t, 10*time.Second, "a getUpdates by another process", func() bool {
			at, ok := firstCallAfter(tgBot, "getUpdates", killed)
			took = at.Sub(killed)
			return ok
		})
		failovers = append(failovers, took)
		if took > 5*time.Second {
			t.Errorf("kill %d: the next getUpdates came %v after the kill (contract: 5 s)", k+1, took)
		}
		c.start(victim)
	}
	t.Logf("takeovers (kill → first getUpdates of the new poller): %v", failovers)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := tgBot.WaitConfirmed(ctx, want.last); err != nil {
		t.Fatalf("not every update was confirmed: %d of %d", tgBot.Confirmed()-first+1, 2000)
	}
	checkBurst(t, c.url(1), user, want)
	if n := tgBot.Conflicts(); n != 0 {
		t.Errorf("Telegram answered %d getUpdates with 409: two processes polled at once", n)
	}

	// A token saved on a standby: the poller (whichever process wins the
	// new bot's lease) calls the new bot.
	var changes []time.Duration
	for k := 0; k < 3; k++ {
		poller := c.waitPoller(admin)
		standby := (poller + 1 + k%2) % 3
		next := fmt.Sprintf("61000000%02d:AAnext_token_%d", 10+k, k)
		nb := tg.AddBot(next, fmt.Sprintf("next_bot_%d", k))
		saved := time.Now()
		c.server(standby).setToken(admin, tg.URL()+"/bot"+next)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		calls, err := nb.WaitCalls(ctx, func(calls []telegramtest.Call) bool {
			return slices.ContainsFunc(calls, func(c telegramtest.Call) bool { return c.Method == "getUpdates" })
		})
		cancel()
		if err != nil {
			t.Fatalf("token change %d on standby %d: the new bot was never polled", k+1, standby)
		}
		at := calls[0].Time
		for _, call := range calls {
			if call.Method == "getUpdates" {
				at = call.Time
				break
			}
		}
		took := at.Sub(saved)
		changes = append(changes, took)
		if took > time.Second {
			t.Errorf("token change %d: the new bot's first getUpdates came %v after the save on a standby", k+1, took)
		}
	}
	t.Logf("token saved on a standby → first getUpdates of the new bot: %v", changes)
	sorted := slices.Clone(changes)
	slices.Sort(sorted)
	if median := sorted[len(sorted)/2]; median > 200*time.Millisecond {
		t.Errorf("median token change took %v (contract: 200 ms)", median)
	}
	// Back to the first bot for the rest.
	c.server(0).setToken(admin, tg.URL()+"/bot"+token)

	// WatchMemos on one process hears a memo created through another.
	w := c.server(2).watch(connectProto, user)
	for k := 0; k < 5; k++ {
		content := fmt.Sprintf("made on process 0, watched on 2 #%d", k)
		created := time.Now()
		m := s0.createMemo(user, content, v1.Visibility_VISIBILITY_PRIVATE)
		e := w.next()
		if took := time.Since(created); e.GetMemo().GetName() != m.Name || took > time.Second {
			t.Fatalf("WatchMemos on process 2: %s after %v, want %s within 1 s", eventSummary(e), took, m.Name)
		}
		want.want[content] = nil
	}

	// Webhook mode: a front (the load balancer) spreads deliveries over
	// the three processes in turn; one of them is killed midway.
	front := newRoundRobinFront(t, c)
	useFront(tg, front.httpsFront)
	setWebhookMode(t, c.server(1), admin, front.ts.URL, tg.URL()+"/bot"+token)
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	if err := tgBot.WaitWebhook(wctx); err != nil {
		t.Fatal("no webhook set")
	}
	wcancel()
	hooked := enqueueBurstPrefixed(tgBot, alice, 300, rng, "webhook ")
	eventually(t, 30*time.Second, "a third of the webhook updates delivered", func() bool {
		return len(tgBot.Deliveries()) >= 100
	})
	victim := rng.IntN(3)
	c.kill(victim)
	t.Logf("webhook: killed process %d after %d deliveries", victim, len(tgBot.Deliveries()))
	for k, v := range hooked.want {
		want.want[k] = v
	}
	eventually(t, 90*time.Second, "every webhook update stored", func() bool {
		return countMemos(t, c.server((victim+1)%3), user) >= len(want.want)
	})
	served := map[int]int{}
	for i := range c.addrs {
		served[i] = int(front.served[i].Load())
	}
	t.Logf("webhook deliveries answered per process: %v", served)
	for i := range c.addrs {
		if served[i] == 0 {
			t.Errorf("process %d answered no webhook delivery: the updates were not spread", i)
		}
	}
	checkBurst(t, c.url((victim+2)%3), user, want)
}

// countMemos counts the memos token's holder sees.
func countMemos(t *testing.T, s *testServer, token string) int {
	t.Helper()
	n, page := 0, ""
	for {
		resp, err := s.as(token).Memos.ListMemos(ctxT(t), connect.NewRequest(&v1.ListMemosRequest{PageSize: 1000, PageToken: page}))
		if err != nil {
			t.Fatalf("ListMemos: %v", err)
		}
		n += len(resp.Msg.Memos)
		if page = resp.Msg.NextPageToken; page == "" {
			return n
		}
	}
}

// roundRobinFront is an https front over every process of a cluster,
// sending each request to the next one in turn and skipping one that is
// down (a load balancer's health check); it counts what each answered.
type roundRobinFront struct {
	*httpsFront
	served []atomic.Int64
}

func newRoundRobinFront(t *testing.T, c *cluster) *roundRobinFront {
	t.Helper()
	f := &roundRobinFront{httpsFront: &httpsFront{}, served: make([]atomic.Int64, len(c.addrs))}
	var next atomic.Uint64
	proxies := make([]*httputil.ReverseProxy, len(c.addrs))
	for i := range c.addrs {
		target, err := url.Parse(c.url(i))
		if err != nil {
			t.Fatal(err)
		}
		proxies[i] = httputil.NewSingleHostReverseProxy(target)
		proxies[i].ErrorLog = nil
	}
	f.ts = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for range c.addrs {
			i := int(next.Add(1) % uint64(len(c.addrs)))
			if !c.up[i].Load() {
				continue
			}
			failed := false
			p := *proxies[i]
			p.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) {
				failed = true
				w.WriteHeader(http.StatusBadGateway)
			}
			p.ServeHTTP(w, r)
			if !failed {
				f.served[i].Add(1)
			}
			return
		}
		w.WriteHeader(http.StatusBadGateway)
	}))
	t.Cleanup(f.ts.Close)
	return f
}
