package main

// The database phases (issue 11): the same measurements on PostgreSQL
// (one process, and three sharing one schema) and on SQLite, with the
// same settings, so the figures can stand side by side:
//
//   - CreateMemo gRPC c=16 (-creates after a 10 % warm-up, as createPhase);
//   - ListMemos page 50 gRPC c=1 and c=16 after -memos memos;
//   - search("…") for a rare and a common word on -db-search-memos memos
//     of mixed text (searchContent);
//   - -db-updates queued Telegram texts → confirmed by the bot;
//   - on PostgreSQL only, failover: SIGKILL the poller of three processes
//     and time the kill → the first getUpdates by another (-failovers
//     times).
//
// Each PostgreSQL phase makes a schema of its own (pgschema.go) and drops
// it after; its servers' backends are found by application_name, so their
// CPU is reported next to the servers', with a sample of what the busy
// backends waited for.

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/memoria-app/memoria/bot/telegramtest"
	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/gen/memoria/v1/memoriav1connect"
)

// dbPhase is one phase of this file, registered in main.go.
type dbPhase struct {
	name string
	run  func() error
}

// databasePhases lists the phases; each name starts with "PostgreSQL:" or
// "SQLite:", so -only picks either set. They alternate, so that a full
// run measures both databases in the same minutes.
func (b *bench) databasePhases() []dbPhase {
	var out []dbPhase
	add := func(pg bool, name string, run func(name string, pg bool) error) {
		name = dbName(pg) + ": " + name
		out = append(out, dbPhase{name, func() error { return run(name, pg) }})
	}
	both := func(name string, run func(name string, pg bool) error) {
		add(true, name, run)
		add(false, name, run)
	}
	both("CreateMemo gRPC c=16, one process", func(n string, pg bool) error { return b.dbCreate(n, pg, 1) })
	add(true, "CreateMemo gRPC c=16, 3 processes", func(n string, pg bool) error { return b.dbCreate(n, pg, 3) })
	both(fmt.Sprintf("ListMemos page 50 gRPC, %d memos", b.cfg.memos), b.dbList)
	both(fmt.Sprintf("search, %d memos", b.cfg.dbSearch), b.dbSearch)
	both(fmt.Sprintf("Telegram, %d queued texts, one process", b.cfg.dbUpdates), func(n string, pg bool) error { return b.dbIngest(n, pg, 1) })
	add(true, fmt.Sprintf("Telegram, %d queued texts, 3 processes", b.cfg.dbUpdates), func(n string, pg bool) error { return b.dbIngest(n, pg, 3) })
	add(true, "failover, 3 processes", func(n string, _ bool) error { return b.dbFailover(n) })
	return out
}

func dbName(pg bool) string {
	if pg {
		return "PostgreSQL"
	}
	return "SQLite"
}

// header prints a phase's name, its servers' pids and, on PostgreSQL, the
// schema.
func (c *cluster) header(name string) {
	where := "data directory"
	if c.db != nil {
		where = "schema " + c.db.name
	}
	fmt.Printf("%s (%s, server pids %v)\n", name, where, c.pids())
}

// dbCreate measures CreateMemo gRPC c=16 through procs processes, call i
// going to process i mod procs, after a warm-up (and on PostgreSQL a
// VACUUM (ANALYZE)).
func (b *bench) dbCreate(group string, pg bool, procs int) error {
	c, err := b.startCluster(pg, procs)
	if err != nil {
		return err
	}
	defer c.stop()
	c.header(group)
	clients := c.memoClients()
	ctx := context.Background()
	call := func(i int) error {
		_, err := clients[i%len(clients)].CreateMemo(ctx, connect.NewRequest(&v1.CreateMemoRequest{Memo: &v1.Memo{Content: memoContent(i)}}))
		return err
	}
	if _, errs := drive(16, max(100, b.cfg.creates/10), 0, call); errs > 0 {
		fmt.Printf("  %d warm-up calls failed\n", errs)
	}
	if c.db != nil {
		// Statistics, as autovacuum has them a minute after the first
		// memos: without, the search flush's join scans all of memos.
		if err := c.db.vacuum(ctx); err != nil {
			return err
		}
	}
	ids0 := c.memoIDs()
	cpu := c.meter(group)
	t0 := time.Now()
	lat, errs := drive(16, b.cfg.creates, 0, call)
	el := time.Since(t0)
	if len(lat) == 0 {
		return fmt.Errorf("all %d calls failed%s", b.cfg.creates, c.logs())
	}
	cpu(len(lat))
	if c.db != nil {
		b.add(result{group: group, name: "insert attempts per created memo (retries + 1)", value: float64(c.memoIDs()-ids0) / float64(len(lat)), unit: "×"})
	}
	// A failed call is a figure, not the end of the phase: on PostgreSQL a
	// write that could not be serialised after the store's retries fails.
	b.add(result{group: group, name: "failed calls", value: float64(errs), unit: "calls", target: "0", met: ptr(errs == 0)})
	b.add(result{group: group, name: "throughput (successful calls)", value: float64(len(lat)) / el.Seconds(), unit: "memos/s"})
	b.add(result{group: group, name: "latency p50", value: ms(percentile(lat, 50)), unit: "ms"})
	b.add(result{group: group, name: "latency p99", value: ms(percentile(lat, 99)), unit: "ms"})
	b.add(result{group: group, name: "latency max", value: ms(lat[len(lat)-1]), unit: "ms"})
	return c.stop()
}

// dbList measures ListMemos (page 50, gRPC) at c=1 and c=16 after -memos
// memos were stored.
func (b *bench) dbList(name string, pg bool) error {
	c, err := b.loadedCluster(name, pg, b.cfg.memos, memoContent)
	if err != nil {
		return err
	}
	defer c.stop()
	memos := c.memoClients()[0]
	ctx := context.Background()
	call := func(int) error {
		resp, err := memos.ListMemos(ctx, connect.NewRequest(&v1.ListMemosRequest{PageSize: 50}))
		if err == nil && len(resp.Msg.GetMemos()) != 50 {
			err = fmt.Errorf("%d memos on the page", len(resp.Msg.GetMemos()))
		}
		return err
	}
	for _, conc := range []int{1, 16} {
		group := fmt.Sprintf("%s c=%d", name, conc)
		if err := b.latency(c, group, conc, call); err != nil {
			return err
		}
	}
	return c.stop()
}

// loadedCluster starts one process (on PostgreSQL or SQLite), prints
// the phase's header and stores n memos of content through the API.
func (b *bench) loadedCluster(name string, pg bool, n int, content func(int) string) (*cluster, error) {
	c, err := b.startCluster(pg, 1)
	if err != nil {
		return nil, err
	}
	c.header(name)
	if err := c.load(n, content); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// latency runs call from conc callers for -warmup, then for -duration,
// and adds the rate and latency percentiles.
func (b *bench) latency(c *cluster, group string, conc int, call func(int) error) error {
	drive(conc, 0, b.cfg.warmup, call)
	cpu := c.meter(group)
	t0 := time.Now()
	lat, errs := drive(conc, 0, b.cfg.duration, call)
	el := time.Since(t0)
	if errs > 0 {
		return fmt.Errorf("%s: %d calls failed%s", group, errs, c.logs())
	}
	cpu(len(lat))
	b.add(result{group: group, name: "calls", value: float64(len(lat)) / el.Seconds(), unit: "calls/s"})
	b.add(result{group: group, name: "latency p50", value: ms(percentile(lat, 50)), unit: "ms"})
	b.add(result{group: group, name: "latency p99", value: ms(percentile(lat, 99)), unit: "ms"})
	return nil
}

// dbSearch measures search("…") (ListMemos page 50, gRPC) for the rare
// and the common word at c=1 and c=16 on -db-search-memos memos.
func (b *bench) dbSearch(name string, pg bool) error {
	c, err := b.loadedCluster(name, pg, b.cfg.dbSearch, searchContent)
	if err != nil {
		return err
	}
	defer c.stop()
	memos := c.memoClients()[0]
	ctx := context.Background()
	for _, word := range []string{rareWord, commonWord} {
		filter := fmt.Sprintf("search(%q)", word)
		total, err := countMemos(ctx, memos, filter)
		if err != nil {
			return err
		}
		b.add(result{group: name, name: fmt.Sprintf("memos matching %q", word), value: float64(total), unit: "memos"})
		for _, conc := range []int{1, 16} {
			group := fmt.Sprintf("%s %s c=%d", name, filter, conc)
			call := func(int) error {
				resp, err := memos.ListMemos(ctx, connect.NewRequest(&v1.ListMemosRequest{PageSize: 50, Filter: filter}))
				if err == nil && len(resp.Msg.GetMemos()) != min(50, total) {
					err = fmt.Errorf("%d memos on the page, want %d", len(resp.Msg.GetMemos()), min(50, total))
				}
				return err
			}
			if err := b.latency(c, group, conc, call); err != nil {
				return err
			}
		}
	}
	return c.stop()
}

// countMemos counts the memos a filter selects, 1,000 a page.
func countMemos(ctx context.Context, memos memoriav1connect.MemoServiceClient, filter string) (int, error) {
	total, page := 0, ""
	for {
		resp, err := memos.ListMemos(ctx, connect.NewRequest(&v1.ListMemosRequest{PageSize: 1000, Filter: filter, PageToken: page}))
		if err != nil {
			return 0, err
		}
		total += len(resp.Msg.GetMemos())
		if page = resp.Msg.GetNextPageToken(); page == "" {
			return total, nil
		}
	}
}

// telegramSetup links the admin to a Telegram user on the first server;
// setToken then saves the bot's token (with the fake's URL) on the last.
type telegramSetup struct {
	tg   *telegramtest.Server
	bot  *telegramtest.Bot
	from telegramtest.User
}

const benchBotToken = "7200000001:db_bench"

func (c *cluster) telegram(ctx context.Context) (*telegramSetup, error) {
	t := &telegramSetup{tg: telegramtest.NewServer(), from: telegramtest.User{ID: 72001, FirstName: "Bench"}}
	t.bot = t.tg.AddBot(benchBotToken, "db_bench_bot")
	settings := memoriav1connect.NewUserSettingServiceClient(http.DefaultClient, c.servers[0].url, connect.WithProtoJSON(), connect.WithInterceptors(bearer(c.token)))
	if _, err := settings.UpdateUserSetting(ctx, connect.NewRequest(&v1.UpdateUserSettingRequest{
		Setting: &v1.UserSetting{TelegramUserId: t.from.ID}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"telegram_user_id"}},
	})); err != nil {
		t.tg.Close()
		return nil, fmt.Errorf("link Telegram id: %w", err)
	}
	return t, nil
}

func (c *cluster) setToken(ctx context.Context, t *telegramSetup) error {
	s := c.servers[len(c.servers)-1]
	system := memoriav1connect.NewSystemSettingServiceClient(http.DefaultClient, s.url, connect.WithProtoJSON(), connect.WithInterceptors(bearer(c.token)))
	_, err := system.UpdateSystemSetting(ctx, connect.NewRequest(&v1.UpdateSystemSettingRequest{
		Setting: &v1.SystemSetting{TelegramBotToken: t.tg.URL() + "/bot" + benchBotToken}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"telegram_bot_token"}},
	}))
	if err != nil {
		return fmt.Errorf("set token: %w", err)
	}
	return nil
}

// dbIngest queues -db-updates texts from a linked user at the fake Bot
// API, then sets the token and times until the fake has seen the last one
// confirmed; every one must then be a memo.
func (b *bench) dbIngest(group string, pg bool, procs int) error {
	c, err := b.startCluster(pg, procs)
	if err != nil {
		return err
	}
	defer c.stop()
	c.header(group)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	t, err := c.telegram(ctx)
	if err != nil {
		return err
	}
	defer t.tg.Close()
	n := b.cfg.dbUpdates
	var last int64
	for i := range n {
		last = t.bot.SendText(t.from, fmt.Sprintf("Telegram text %d: %s", i, memoContent(i))).UpdateID
	}
	cpu := c.meter(group)
	t0 := time.Now()
	if err := c.setToken(ctx, t); err != nil {
		return err
	}
	if err := t.bot.WaitConfirmed(ctx, last); err != nil {
		return fmt.Errorf("confirmed %d of %d updates: %w%s", t.bot.Confirmed(), last, err, c.logs())
	}
	el := time.Since(t0)
	cpu(n)
	if who := c.poller(ctx); who >= 0 {
		fmt.Printf("  polled by server %d (pid %d)\n", who, c.servers[who].cmd.Process.Pid)
	}
	got, err := countMemos(ctx, c.memoClients()[0], "")
	if err != nil || got != n {
		return fmt.Errorf("ListMemos after ingestion: %d memos (want %d), %v", got, n, err)
	}
	b.add(result{group: group, name: "ingestion (token saved → last update confirmed)", value: float64(n) / el.Seconds(), unit: "updates/s"})
	if k := t.bot.Conflicts(); k > 0 {
		return fmt.Errorf("Telegram answered %d getUpdates with 409: two pollers at once", k)
	}
	return c.stop()
}

// dbFailover runs three processes with the bot polling (idle in its long
// poll), then -failovers times: SIGKILL the poller GetBotStatus names,
// time the kill → the fake's first getUpdates after it (another process:
// the victim is gone), wait until the survivors agree on the new poller,
// restart the victim as a standby.
func (b *bench) dbFailover(group string) error {
	c, err := b.startCluster(true, 3)
	if err != nil {
		return err
	}
	defer c.stop()
	c.header(group)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	t, err := c.telegram(ctx)
	if err != nil {
		return err
	}
	defer t.tg.Close()
	if err := c.setToken(ctx, t); err != nil {
		return err
	}
	var took []time.Duration
	for k := 0; k < b.cfg.dbFailovers; k++ {
		victim, err := c.waitPoller(ctx)
		if err != nil {
			return err
		}
		if err := t.bot.WaitPolling(ctx); err != nil {
			return err
		}
		time.Sleep(200 * time.Millisecond) // the standbys are in their retry loop
		pid := c.servers[victim].cmd.Process.Pid
		killed := time.Now()
		c.kill(victim)
		wctx, wcancel := context.WithTimeout(ctx, 15*time.Second)
		calls, err := t.bot.WaitCalls(wctx, func(calls []telegramtest.Call) bool {
			_, ok := firstGetUpdates(calls, killed)
			return ok
		})
		wcancel()
		if err != nil {
			return fmt.Errorf("kill %d: no getUpdates within 15 s of killing the poller", k+1)
		}
		at, _ := firstGetUpdates(calls, killed)
		took = append(took, at.Sub(killed))
		next, err := c.waitPoller(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("  kill %d: server %d (pid %d) → server %d polled after %v\n", k+1, victim, pid, next, at.Sub(killed).Round(time.Millisecond))
		if err := c.start(victim); err != nil {
			return err
		}
	}
	sorted := slices.Clone(took)
	slices.Sort(sorted)
	b.add(result{group: group, name: fmt.Sprintf("kill → first getUpdates by another, median of %d", len(sorted)), value: ms(sorted[len(sorted)/2]), unit: "ms"})
	b.add(result{group: group, name: "… min", value: ms(sorted[0]), unit: "ms"})
	b.add(result{group: group, name: "… max", value: ms(sorted[len(sorted)-1]), unit: "ms", target: "≤ 5,000 ms", met: ptr(sorted[len(sorted)-1] <= 5*time.Second)})
	if k := t.bot.Conflicts(); k > 0 {
		return fmt.Errorf("Telegram answered %d getUpdates with 409: two pollers at once", k)
	}
	return c.stop()
}

// firstGetUpdates is the time of the first getUpdates received after t.
func firstGetUpdates(calls []telegramtest.Call, t time.Time) (time.Time, bool) {
	for _, call := range calls {
		if call.Method == "getUpdates" && call.Time.After(t) {
			return call.Time, true
		}
	}
	return time.Time{}, false
}
