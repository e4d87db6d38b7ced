package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"connectrpc.com/connect"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/gen/memoria/v1/memoriav1connect"
)

type config struct {
	bin      string
	memos    int
	creates  int
	duration time.Duration
	warmup   time.Duration
	coldRuns int
	only     string
	// searchMemos is the size of the search phases' corpus (bench/search.go).
	searchMemos int
	// searchTemplate keeps the search corpus's data directory for later
	// runs; searchCreatesOnly skips the search phases but CreateMemo's.
	searchTemplate    string
	searchCreatesOnly bool
	// The database phases (bench/postgres.go): the PostgreSQL server, the
	// size of their search corpus, the queued Telegram texts and the
	// number of failovers.
	pg          string
	dbSearch    int
	dbUpdates   int
	dbFailovers int
}

func main() {
	var cfg config
	flag.StringVar(&cfg.bin, "bin", "", "memoria binary to run (default: go build -o <tmp>/memoria . in the module root)")
	flag.IntVar(&cfg.memos, "memos", 20000, "memos stored for the loaded-database phases")
	flag.IntVar(&cfg.creates, "creates", 5000, "CreateMemo calls measured per create phase (a fixed count keeps the loaded database near -memos)")
	flag.DurationVar(&cfg.duration, "duration", 5*time.Second, "length of each ListMemos phase")
	flag.DurationVar(&cfg.warmup, "warmup", 500*time.Millisecond, "unmeasured load before each phase")
	flag.IntVar(&cfg.coldRuns, "cold", 5, "cold starts to time (the median is reported)")
	flag.IntVar(&cfg.searchMemos, "search-memos", 100000, "memos of mixed-language text for the search phases")
	flag.StringVar(&cfg.searchTemplate, "search-template", "", "keep the search corpus in this directory and reuse it when it is there (comparing binaries of one schema)")
	flag.BoolVar(&cfg.searchCreatesOnly, "search-creates-only", false, "of the search phases, run only CreateMemo with and without the index")
	flag.StringVar(&cfg.pg, "pg", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", `PostgreSQL for the "PostgreSQL:" phases (each makes a schema of its own and drops it)`)
	flag.IntVar(&cfg.dbSearch, "db-search-memos", 30000, `memos of mixed-language text for the "PostgreSQL:" and "SQLite:" search phases`)
	flag.IntVar(&cfg.dbUpdates, "db-updates", 5000, `queued Telegram texts for the "PostgreSQL:" and "SQLite:" ingestion phases`)
	flag.IntVar(&cfg.dbFailovers, "failovers", 5, "poller kills in the PostgreSQL failover phase")
	flag.StringVar(&cfg.only, "only", "", `run only the phases whose name contains this, e.g. "cold", "CreateMemo gRPC c=16"`)
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: go run ./bench [flags]\n\n"+
			"Starts the real memoria binary on loopback with a temporary data directory and\n"+
			"measures CreateMemo throughput (Connect JSON and gRPC, concurrency 1 and 16, empty\n"+
			"and loaded database), ListMemos latency, idle and peak RSS, and cold start.\n\nFlags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(cfg config) error {
	tmp, err := os.MkdirTemp("", "memoria-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if cfg.bin == "" {
		if cfg.bin, err = build(tmp); err != nil {
			return err
		}
	}
	if cfg.bin, err = filepath.Abs(cfg.bin); err != nil {
		return err
	}
	fmt.Printf("memoria bench: %s, %s/%s, %d CPUs, %s\n", cfg.bin, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel())
	fmt.Printf("settings: -memos %d -creates %d -duration %v -warmup %v -cold %d\n\n", cfg.memos, cfg.creates, cfg.duration, cfg.warmup, cfg.coldRuns)
	fmt.Printf("load average before: %s\n\n", loadAvg())
	b := &bench{cfg: cfg, tmp: tmp, emptyRate: map[string]float64{}}

	// The phases, in order; -only picks those whose name contains it.
	type phase struct {
		name   string
		loaded bool // needs the loaded template
		run    func(template string) error
	}
	stored := fmt.Sprintf("%d memos", cfg.memos)
	phases := []phase{
		{"cold start, fresh data directory", false, func(string) error { return b.coldStarts("fresh data directory", "") }},
		{"cold start, " + stored, true, func(t string) error { return b.coldStarts(stored+" stored", t) }},
	}
	for _, loaded := range []bool{false, true} {
		db := "empty DB"
		if loaded {
			db = stored
		}
		for _, p := range protocols() {
			for _, c := range []int{1, 16} {
				phases = append(phases, phase{fmt.Sprintf("CreateMemo %s c=%d %s", p.name, c, db), loaded,
					func(t string) error { return b.createPhase(p, c, t) }})
			}
		}
	}
	for _, p := range protocols() {
		for _, c := range []int{1, 16} {
			phases = append(phases, phase{fmt.Sprintf("ListMemos page 50 %s c=%d %s", p.name, c, stored), true,
				func(t string) error { return b.listPhase(p, c, t) }})
		}
	}
	phases = append(phases, phase{photoPhase, false, b.photosPhase})                                     // bench/photos.go
	phases = append(phases, phase{"sign-in flood", false, func(string) error { return b.floodPhase() }}) // bench/flood.go
	phases = append(phases, phase{"search vs content.contains, index cost and size", false, func(string) error { return b.searchPhases() }})
	for _, p := range b.databasePhases() { // bench/postgres.go
		phases = append(phases, phase{p.name, false, func(string) error { return p.run() }})
	}
	template := ""
	for _, ph := range phases {
		if cfg.only != "" && !strings.Contains(ph.name, cfg.only) {
			continue
		}
		if ph.loaded && template == "" {
			if template, err = b.loadTemplate(); err != nil {
				return err
			}
		}
		t := ""
		if ph.loaded {
			t = template
		}
		if err := ph.run(t); err != nil {
			return fmt.Errorf("%s: %w", ph.name, err)
		}
	}
	fmt.Printf("\nload average after: %s\n", loadAvg())
	b.report()
	return nil
}

// loadAvg is /proc/loadavg's first three fields, to judge how busy the
// machine was.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// build compiles the server from the module root.
func build(tmp string) (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("cannot find the module root (run from inside the memoria module, or pass -bin): %v", err)
	}
	bin := filepath.Join(tmp, "memoria")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Dir(gomod)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	fmt.Fprintf(os.Stderr, "building %s ...\n", bin)
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build: %w", err)
	}
	return bin, nil
}

type bench struct {
	cfg     config
	tmp     string
	n       int
	results []result
	token   string // the admin of the loaded template
	// emptyRate is CreateMemo throughput on an empty DB by "protocol c=N".
	emptyRate map[string]float64
}

// result is one measured figure.
type result struct {
	group, name string
	value       float64
	unit        string
	target      string
	met         *bool
}

func (b *bench) add(r result) {
	b.results = append(b.results, r)
	fmt.Printf("  %-58s %10.2f %-8s %s\n", r.group+": "+r.name, r.value, r.unit, r.target)
}

// server is one running memoria process.
type server struct {
	cmd     *exec.Cmd
	addr    string
	url     string
	dataDir string
	stderr  *lockedBuffer
	exited  chan error
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// start execs the binary on dataDir (with extra flags, if any) and returns
// once a call is answered, with the time from exec to that answer.
func (b *bench) start(dataDir string, extra ...string) (*server, time.Duration, error) {
	addr, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	s := &server{addr: addr, url: "http://" + addr, dataDir: dataDir, stderr: &lockedBuffer{}, exited: make(chan error, 1)}
	s.cmd = exec.Command(b.cfg.bin, append([]string{"--addr", addr, "--data", dataDir, "--log-level", "warn"}, extra...)...)
	s.cmd.Stdout, s.cmd.Stderr = s.stderr, s.stderr
	setProcAttrs(s.cmd)
	// The first call is an anonymous ListMemos: it needs the database.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: time.Second}
	probe := func() error {
		resp, err := client.Post(s.url+memoriav1connect.MemoServiceListMemosProcedure, "application/json", strings.NewReader("{}"))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("ListMemos: %s", resp.Status)
		}
		return nil
	}
	t0 := time.Now()
	if err := s.cmd.Start(); err != nil {
		return nil, 0, err
	}
	go func() { s.exited <- s.cmd.Wait() }()
	deadline := t0.Add(30 * time.Second)
	for {
		err := probe()
		if err == nil {
			return s, time.Since(t0), nil
		}
		select {
		case werr := <-s.exited:
			return nil, 0, fmt.Errorf("memoria exited during start-up (%v): %s", werr, s.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, 0, fmt.Errorf("memoria did not answer within 30s: %v; log: %s", err, s.stderr.String())
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// stop sends SIGTERM and waits for a graceful exit.
func (s *server) stop() error {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.exited:
		if err != nil {
			return fmt.Errorf("memoria exited with %v: %s", err, s.stderr.String())
		}
		return nil
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		return fmt.Errorf("memoria did not stop within 30s of SIGTERM")
	}
}

func (b *bench) newDataDir() string {
	b.n++
	return filepath.Join(b.tmp, fmt.Sprintf("data%d", b.n))
}

// coldStarts times exec → first answered call, on a fresh data directory
// or a copy of template.
func (b *bench) coldStarts(label, template string) error {
	fmt.Printf("cold start, %s (%d runs)\n", label, b.cfg.coldRuns)
	var times []time.Duration
	var idle int64
	for range b.cfg.coldRuns {
		dir := b.newDataDir()
		if template != "" {
			if err := copyDir(template, dir); err != nil {
				return err
			}
		}
		s, d, err := b.start(dir)
		if err != nil {
			return err
		}
		times = append(times, d)
		rss, _ := procStatus(s.cmd.Process.Pid, "VmRSS")
		idle = max(idle, rss)
		if err := s.stop(); err != nil {
			return err
		}
		os.RemoveAll(dir)
	}
	slices.Sort(times)
	med := times[len(times)/2]
	fmt.Printf("  runs: %v\n", times)
	b.add(result{group: "cold start", name: label + " (median)", value: ms(med), unit: "ms", target: "≤ 50 ms", met: ptr(ms(med) <= 50)})
	b.add(result{group: "idle RSS", name: "just after start, " + label, value: float64(idle) / 1024, unit: "MiB", target: "≤ 25 MiB", met: ptr(float64(idle)/1024 <= 25)})
	return nil
}

// loadTemplate starts a server, signs up an admin and stores cfg.memos
// memos through the API (gRPC, 16 callers), then stops it; phases copy the
// directory.
func (b *bench) loadTemplate() (string, error) {
	dir := filepath.Join(b.tmp, "template")
	s, _, err := b.start(dir)
	if err != nil {
		return "", err
	}
	ctx := context.Background()
	auth := memoriav1connect.NewAuthServiceClient(http.DefaultClient, s.url, connect.WithProtoJSON())
	resp, err := auth.SignUp(ctx, connect.NewRequest(&v1.SignUpRequest{Username: "bench", Password: "bench password"}))
	if err != nil {
		s.stop()
		return "", fmt.Errorf("sign up: %w", err)
	}
	b.token = resp.Msg.GetAccessToken()
	fmt.Printf("loading %d memos through the API (gRPC, 16 callers) ...\n", b.cfg.memos)
	p := protocols()[1]
	memos := p.memos(s.url, b.token)
	t0 := time.Now()
	lat, errs := drive(16, b.cfg.memos, 0, func(i int) error {
		_, err := memos.CreateMemo(ctx, connect.NewRequest(&v1.CreateMemoRequest{Memo: &v1.Memo{Content: memoContent(i)}}))
		return err
	})
	el := time.Since(t0)
	if errs > 0 {
		s.stop()
		return "", fmt.Errorf("%d of %d loading calls failed", errs, b.cfg.memos)
	}
	fmt.Printf("  loaded in %v (%.0f memos/s, p99 %.2f ms)\n", el.Round(time.Millisecond), float64(len(lat))/el.Seconds(), ms(percentile(lat, 99)))
	if err := s.stop(); err != nil {
		return "", err
	}
	return dir, nil
}

func memoContent(i int) string {
	return fmt.Sprintf("Memo %d: a line of Markdown with a #tag%d, a **bold** word and a [link](https://example.com/%d).", i, i%50, i)
}

// protocol is a client flavour.
type protocol struct {
	name string
	http *http.Client
	opts []connect.ClientOption
}

func protocols() []protocol {
	h2c := new(http.Protocols)
	h2c.SetUnencryptedHTTP2(true)
	return []protocol{
		{"Connect JSON", &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}, []connect.ClientOption{connect.WithProtoJSON()}},
		{"gRPC", &http.Client{Transport: &http.Transport{Protocols: h2c}}, []connect.ClientOption{connect.WithGRPC()}},
	}
}

func (p protocol) memos(url, token string) memoriav1connect.MemoServiceClient {
	return memoriav1connect.NewMemoServiceClient(p.http, url, append([]connect.ClientOption{connect.WithInterceptors(bearer(token))}, p.opts...)...)
}

func bearer(token string) connect.UnaryInterceptorFunc {
	return func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("Authorization", "Bearer "+token)
			return next(ctx, req)
		}
	}
}

// phaseServer starts a server on a fresh directory or a copy of template,
// signing up an admin on a fresh one.
func (b *bench) phaseServer(template string) (*server, string, error) {
	dir := b.newDataDir()
	if template != "" {
		if err := copyDir(template, dir); err != nil {
			return nil, "", err
		}
	}
	s, _, err := b.start(dir)
	if err != nil {
		return nil, "", err
	}
	if template != "" {
		return s, b.token, nil
	}
	auth := memoriav1connect.NewAuthServiceClient(http.DefaultClient, s.url, connect.WithProtoJSON())
	resp, err := auth.SignUp(context.Background(), connect.NewRequest(&v1.SignUpRequest{Username: "bench", Password: "bench password"}))
	if err != nil {
		s.stop()
		return nil, "", err
	}
	return s, resp.Msg.GetAccessToken(), nil
}

// cpuMeter starts measuring the server's and this client's CPU time; the
// function it returns reports both per call.
func (b *bench) cpuMeter(s *server) func(group string, calls int) {
	pid := s.cmd.Process.Pid
	srv0, err := procCPU(pid)
	cli0 := selfCPU()
	return func(group string, calls int) {
		srv1, err2 := procCPU(pid)
		cli1 := selfCPU()
		if err != nil || err2 != nil || calls == 0 {
			return
		}
		b.add(result{group: group, name: "server CPU per call", value: float64(srv1-srv0) / float64(calls) / 1e3, unit: "µs"})
		b.add(result{group: group, name: "client CPU per call", value: float64(cli1-cli0) / float64(calls) / 1e3, unit: "µs"})
	}
}

func (b *bench) finishPhase(s *server, group string) error {
	hwm, _ := procStatus(s.cmd.Process.Pid, "VmHWM")
	b.add(result{group: "peak RSS", name: group, value: float64(hwm) / 1024, unit: "MiB", target: "(VmHWM)"})
	err := s.stop()
	os.RemoveAll(s.dataDir)
	return err
}

func (b *bench) createPhase(p protocol, c int, template string) error {
	db := "empty DB"
	if template != "" {
		db = fmt.Sprintf("%d memos", b.cfg.memos)
	}
	group := fmt.Sprintf("CreateMemo %s c=%d %s", p.name, c, db)
	s, tok, err := b.phaseServer(template)
	if err != nil {
		return err
	}
	fmt.Printf("%s (server pid %d)\n", group, s.cmd.Process.Pid)
	memos := p.memos(s.url, tok)
	ctx := context.Background()
	call := func(i int) error {
		_, err := memos.CreateMemo(ctx, connect.NewRequest(&v1.CreateMemoRequest{Memo: &v1.Memo{Content: memoContent(i)}}))
		return err
	}
	warm := max(100, b.cfg.creates/10)
	if _, errs := drive(c, warm, 0, call); errs > 0 {
		return fmt.Errorf("%s: %d warm-up calls failed: %s", group, errs, s.stderr.String())
	}
	cpu := b.cpuMeter(s)
	t0 := time.Now()
	lat, errs := drive(c, b.cfg.creates, 0, call)
	el := time.Since(t0)
	if errs > 0 {
		return fmt.Errorf("%s: %d calls failed: %s", group, errs, s.stderr.String())
	}
	cpu(group, len(lat))
	rate := float64(len(lat)) / el.Seconds()
	target := ""
	var met *bool
	switch {
	case c == 16 && template == "":
		target, met = "≥ 5,000/s", ptr(rate >= 5000)
	case c == 16:
		target, met = "≥ 4,500/s (90% of 5,000)", ptr(rate >= 4500)
	}
	b.add(result{group: group, name: "throughput", value: rate, unit: "memos/s", target: target, met: met})
	key := fmt.Sprintf("%s c=%d", p.name, c)
	if template == "" {
		b.emptyRate[key] = rate
	} else if empty := b.emptyRate[key]; empty > 0 {
		pct := 100 * rate / empty
		b.add(result{group: group, name: "throughput vs empty DB", value: pct, unit: "%", target: "≥ 90%", met: ptr(pct >= 90)})
	}
	b.add(result{group: group, name: "latency p50", value: ms(percentile(lat, 50)), unit: "ms"})
	b.add(result{group: group, name: "latency p99", value: ms(percentile(lat, 99)), unit: "ms"})
	b.add(result{group: group, name: "latency max", value: ms(lat[len(lat)-1]), unit: "ms"})
	return b.finishPhase(s, group)
}

func (b *bench) listPhase(p protocol, c int, template string) error {
	group := fmt.Sprintf("ListMemos page 50 %s c=%d %d memos", p.name, c, b.cfg.memos)
	s, tok, err := b.phaseServer(template)
	if err != nil {
		return err
	}
	fmt.Printf("%s (server pid %d)\n", group, s.cmd.Process.Pid)
	memos := p.memos(s.url, tok)
	ctx := context.Background()
	call := func(int) error {
		resp, err := memos.ListMemos(ctx, connect.NewRequest(&v1.ListMemosRequest{PageSize: 50}))
		if err == nil && len(resp.Msg.GetMemos()) != 50 {
			err = fmt.Errorf("%d memos on the page", len(resp.Msg.GetMemos()))
		}
		return err
	}
	drive(c, 0, b.cfg.warmup, call)
	cpu := b.cpuMeter(s)
	t0 := time.Now()
	lat, errs := drive(c, 0, b.cfg.duration, call)
	el := time.Since(t0)
	if errs > 0 {
		return fmt.Errorf("%s: %d calls failed", group, errs)
	}
	cpu(group, len(lat))
	p99, limit := ms(percentile(lat, 99)), 5.0
	if c > 1 {
		limit = 50
	}
	b.add(result{group: group, name: "calls", value: float64(len(lat)) / el.Seconds(), unit: "calls/s"})
	b.add(result{group: group, name: "latency p50", value: ms(percentile(lat, 50)), unit: "ms"})
	b.add(result{group: group, name: "latency p99", value: p99, unit: "ms", target: fmt.Sprintf("≤ %.0f ms", limit), met: ptr(p99 <= limit)})
	return b.finishPhase(s, group)
}

// drive runs call from c goroutines, either count times in all or for d,
// and returns the latency of each successful call and the failure count.
func drive(c, count int, d time.Duration, call func(i int) error) ([]time.Duration, int) {
	var (
		next   atomic.Int64
		failed atomic.Int64
		mu     sync.Mutex
		all    []time.Duration
		wg     sync.WaitGroup
		first  sync.Once
	)
	stop := time.Now().Add(d)
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1024)
			for {
				i := int(next.Add(1))
				if (count > 0 && i > count) || (count == 0 && time.Now().After(stop)) {
					break
				}
				t0 := time.Now()
				if err := call(i); err != nil {
					failed.Add(1)
					first.Do(func() { fmt.Fprintln(os.Stderr, "  call failed:", err) })
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(all)
	return all, int(failed.Load())
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func ptr[T any](v T) *T { return &v }

// report prints the summary table.
func (b *bench) report() {
	fmt.Printf("\n%-66s %12s  %-26s %s\n", "figure", "value", "target", "")
	fmt.Println(strings.Repeat("-", 112))
	for _, r := range b.results {
		verdict := ""
		if r.met != nil {
			verdict = "met"
			if !*r.met {
				verdict = "MISSED"
			}
		}
		fmt.Printf("%-66s %8.2f %-4s  %-26s %s\n", r.group+": "+r.name, r.value, shortUnit(r.unit), r.target, verdict)
	}
}

func shortUnit(u string) string {
	switch u {
	case "memos/s", "calls/s":
		return "/s"
	}
	return u
}

// copyDir copies a (stopped) server's data directory.
func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o750)
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

// cpuModel names the CPU, where the OS says.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.b) < 1<<20 {
		l.b = append(l.b, p...)
	}
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}
