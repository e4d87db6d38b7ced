package main

// The search phases: one server on a copy of a data directory holding
// -search-memos memos of mixed-language text, measuring search("…")
// against content.contains("…") on the same data in the same run, for a
// rare and a common word at c=1 and c=16; CreateMemo throughput with the
// index against the same binary on a copy whose index triggers were
// dropped; and the index's size on disk.

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"connectrpc.com/connect"
	_ "github.com/mattn/go-sqlite3"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/gen/memoria/v1/memoriav1connect"
)

// The queried words and how often the corpus uses them.
const (
	rareWord   = "xylophone" // 1 memo in 10,000
	commonWord = "today"     // about 1 memo in 6
)

var (
	enWords = strings.Fields(`the a to and of in for on with at from by about after before this that my our
		we you it is was be have had will can should need meet call email send read write fix check plan
		project team design review notes idea list buy pay book trip train flight hotel dinner lunch coffee
		doctor dentist gym run walk weekend monday tuesday friday morning evening week month year budget
		invoice report draft release bug server database backup deploy test meeting client customer budget
		garden kids school birthday gift movie music podcast article paper chapter recipe bread milk eggs
		question answer remember forgot maybe later soon quickly finally again still really very good bad`)
	zhWords = strings.Fields("今天 明天 会议 项目 设计 学习 读书 论文 量子 纠缠 咖啡 午饭 晚饭 周末 朋友 工作 计划 旅行 火车 飞机 酒店 医生 运动 跑步 音乐 电影 文章 问题 答案 记得 需要 购买")
	ruWords = strings.Fields("сегодня завтра встреча проект дизайн чай кофе обед ужин выходные друзья работа план поездка поезд отель врач спорт музыка фильм статья вопрос ответ помнить купить нужно ёлка зима")
	frWords = strings.Fields("aujourd'hui demain réunion projet été café déjeuner dîner week-end amis travail voyage hôtel médecin musique film article question réponse acheter très élève crème Montréal")
)

// searchContent is memo i of the search corpus: a sentence or three of
// English (60 %), Chinese, Russian or French (the rest), some tags, the
// common word in about one memo in six and the rare one in one in 10,000.
func searchContent(i int) string {
	r := rand.New(rand.NewPCG(uint64(i), 7))
	var words []string
	switch k := r.IntN(10); {
	case k < 6:
		words = enWords
	case k < 8:
		words = zhWords
	case k < 9:
		words = ruWords
	default:
		words = frWords
	}
	var b strings.Builder
	n := 6 + r.IntN(40)
	for j := 0; j < n; j++ {
		// Zipf-like: low indexes far more often.
		w := words[int(float64(len(words))*r.Float64()*r.Float64())]
		if w == commonWord {
			w = "later"
		}
		b.WriteString(w)
		if words[0] == zhWords[0] && r.IntN(3) > 0 {
			continue // Chinese runs on without spaces
		}
		b.WriteByte(' ')
	}
	if r.IntN(6) == 0 {
		b.WriteString(commonWord + " ")
	}
	if i%10000 == 5000 {
		b.WriteString(rareWord + " ")
	}
	fmt.Fprintf(&b, "#tag%d", i%40)
	return b.String()
}

func (b *bench) searchPhases() error {
	dir, tok, err := b.searchTemplate()
	if err != nil {
		return err
	}
	if !b.cfg.searchCreatesOnly {
		if err := b.indexSize(dir); err != nil {
			return err
		}
		if err := b.searchLatency(dir, tok, b.cfg.searchMemos); err != nil {
			return err
		}
	}
	return b.searchCreateCost(dir, tok)
}

// searchTemplate returns the data directory holding the search corpus
// and its user's token: the one -search-template names if it holds one,
// else loaded now (into -search-template's directory if given).
func (b *bench) searchTemplate() (dir, tok string, err error) {
	n := b.cfg.searchMemos
	dir = filepath.Join(b.tmp, "search-template")
	if b.cfg.searchTemplate != "" {
		dir = b.cfg.searchTemplate
		saved, err := os.ReadFile(filepath.Join(dir, "bench-token"))
		if err == nil {
			fmt.Printf("search: reusing the corpus in %s\n", dir)
			return dir, strings.TrimSpace(string(saved)), nil
		}
		if err := os.RemoveAll(dir); err != nil {
			return "", "", err
		}
	}
	s, _, err := b.start(dir)
	if err != nil {
		return "", "", err
	}
	ctx := context.Background()
	tok, err = b.signUpOn(s)
	if err != nil {
		s.stop()
		return "", "", err
	}
	fmt.Printf("search: loading %d memos of mixed text through the API (gRPC, 16 callers) ...\n", n)
	grpc := protocols()[1]
	memos := grpc.memos(s.url, tok)
	t0 := time.Now()
	if _, errs := drive(16, n, 0, func(i int) error {
		_, err := memos.CreateMemo(ctx, connect.NewRequest(&v1.CreateMemoRequest{Memo: &v1.Memo{Content: searchContent(i)}}))
		return err
	}); errs > 0 {
		s.stop()
		return "", "", fmt.Errorf("%d loading calls failed", errs)
	}
	fmt.Printf("  loaded in %v\n", time.Since(t0).Round(time.Millisecond))
	if err := s.stop(); err != nil {
		return "", "", err
	}
	if b.cfg.searchTemplate != "" {
		// Written last: a directory without it is loaded again.
		if err := os.WriteFile(filepath.Join(dir, "bench-token"), []byte(tok), 0o600); err != nil {
			return "", "", err
		}
	}
	return dir, tok, nil
}

func (b *bench) signUpOn(s *server) (string, error) {
	c := memoriav1connect.NewAuthServiceClient(http.DefaultClient, s.url, connect.WithProtoJSON())
	resp, err := c.SignUp(context.Background(), connect.NewRequest(&v1.SignUpRequest{Username: "bench", Password: "bench password"}))
	if err != nil {
		return "", fmt.Errorf("sign up: %w", err)
	}
	return resp.Msg.GetAccessToken(), nil
}

// searchLatency measures ListMemos (page 50) with search() and with
// content.contains() for each word at c=1 and c=16, alternating filters
// on one server.
func (b *bench) searchLatency(template, tok string, n int) error {
	dir := b.newDataDir()
	if err := copyDir(template, dir); err != nil {
		return err
	}
	s, _, err := b.start(dir)
	if err != nil {
		return err
	}
	defer func() { s.stop(); os.RemoveAll(dir) }()
	memos := protocols()[1].memos(s.url, tok)
	ctx := context.Background()
	for _, word := range []string{rareWord, commonWord} {
		for _, c := range []int{1, 16} {
			for _, kind := range []string{"search", "content.contains"} {
				filter := fmt.Sprintf("search(%q)", word)
				if kind != "search" {
					filter = fmt.Sprintf("content.contains(%q)", word)
				}
				var matched int
				call := func(int) error {
					resp, err := memos.ListMemos(ctx, connect.NewRequest(&v1.ListMemosRequest{PageSize: 50, Filter: filter}))
					if err == nil {
						matched = len(resp.Msg.GetMemos())
					}
					return err
				}
				drive(c, 0, b.cfg.warmup, call)
				cpu := b.cpuMeter(s)
				t0 := time.Now()
				lat, errs := drive(c, 0, b.cfg.duration, call)
				el := time.Since(t0)
				if errs > 0 {
					return fmt.Errorf("%s: %d calls failed: %s", filter, errs, s.stderr.String())
				}
				group := fmt.Sprintf("%s %q c=%d %d memos", kind, word, c, n)
				cpu(group, len(lat))
				p99, limit := ms(percentile(lat, 99)), 10.0
				if c > 1 {
					limit = 50
				}
				target, met := "", (*bool)(nil)
				if kind == "search" {
					target, met = fmt.Sprintf("≤ %.0f ms", limit), ptr(p99 <= limit)
				}
				b.add(result{group: group, name: "memos on page 1", value: float64(matched), unit: "memos"})
				b.add(result{group: group, name: "calls", value: float64(len(lat)) / el.Seconds(), unit: "calls/s"})
				b.add(result{group: group, name: "latency p50", value: ms(percentile(lat, 50)), unit: "ms"})
				b.add(result{group: group, name: "latency p99", value: p99, unit: "ms", target: target, met: met})
			}
		}
	}
	// How many memos each word is in (the work a ranked search does).
	for _, word := range []string{rareWord, commonWord} {
		var total int
		tokPage := ""
		for {
			resp, err := memos.ListMemos(ctx, connect.NewRequest(&v1.ListMemosRequest{PageSize: 1000, Filter: fmt.Sprintf("search(%q)", word), PageToken: tokPage}))
			if err != nil {
				return err
			}
			total += len(resp.Msg.GetMemos())
			if tokPage = resp.Msg.GetNextPageToken(); tokPage == "" {
				break
			}
		}
		b.add(result{group: "search corpus", name: fmt.Sprintf("memos matching %q", word), value: float64(total), unit: "memos"})
	}
	return nil
}

// searchCreateRounds and searchCreates: CreateMemo with and without the
// index is measured this many times each, alternating, for at least this
// many calls each time: in runs of -creates (5,000, about a second) the
// rate without the index varied by 10 % from one run to the next, more
// than the difference being measured. The verdict is on the median of the
// rounds' ratios: one round in which the host stalled the run without the
// index (4,124/s against 5,900) gave a ratio of 122 %, and the ratio of
// the means, 92.5 %, "met" the target for code whose other rounds gave
// 80 and 84 %. On a noisy host single rounds' ratios ranged from 56 to
// 143 %, so there are ten rounds, and the report gives, beside the
// median, the interval between the 2nd and 9th of the ten sorted ratios:
// whatever the ratios' distribution, it holds the true median with
// probability 97.9 % (1 - 2·11/1024).
const (
	searchCreateRounds = 10
	searchCreates      = 20000
)

// searchCreateCost runs CreateMemo (gRPC, c=16) on a copy with the index
// and on one whose index triggers were dropped, searchCreateRounds times
// each, alternating.
func (b *bench) searchCreateCost(template, tok string) error {
	rates := map[bool][]float64{}
	creates := max(b.cfg.creates, searchCreates)
	for round := 0; round < searchCreateRounds; round++ {
		// Odd rounds measure without the index first: in a fixed order a
		// host slowing down through the run (rates fell from 5,657 to
		// 4,280/s in one) would always favour the first.
		order := []bool{true, false}
		if round%2 == 1 {
			order = []bool{false, true}
		}
		for _, indexed := range order {
			dir := b.newDataDir()
			if err := copyDir(template, dir); err != nil {
				return err
			}
			if !indexed {
				if err := dropSearchTriggers(filepath.Join(dir, "memoria.db")); err != nil {
					return err
				}
			}
			s, _, err := b.start(dir)
			if err != nil {
				return err
			}
			memos := protocols()[1].memos(s.url, tok)
			ctx := context.Background()
			call := func(i int) error {
				_, err := memos.CreateMemo(ctx, connect.NewRequest(&v1.CreateMemoRequest{Memo: &v1.Memo{Content: searchContent(1_000_000 + i)}}))
				return err
			}
			drive(16, max(100, creates/10), 0, call)
			t0 := time.Now()
			lat, errs := drive(16, creates, 0, call)
			el := time.Since(t0)
			s.stop()
			os.RemoveAll(dir)
			if errs > 0 {
				return fmt.Errorf("CreateMemo: %d calls failed", errs)
			}
			rates[indexed] = append(rates[indexed], float64(len(lat))/el.Seconds())
		}
	}
	mean := func(v []float64) float64 {
		s := 0.0
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	with, without := mean(rates[true]), mean(rates[false])
	for i := range rates[true] {
		b.add(result{group: "search CreateMemo gRPC c=16", name: fmt.Sprintf("round %d: with / without", i+1),
			value: 100 * rates[true][i] / rates[false][i], unit: fmt.Sprintf("%% (%.0f / %.0f/s)", rates[true][i], rates[false][i])})
	}
	name := fmt.Sprintf("(mean of %d, %d calls each)", searchCreateRounds, creates)
	b.add(result{group: "search CreateMemo gRPC c=16", name: "with the index " + name, value: with, unit: "memos/s"})
	b.add(result{group: "search CreateMemo gRPC c=16", name: "without the index " + name, value: without, unit: "memos/s"})
	ratios := make([]float64, len(rates[true]))
	for i := range ratios {
		ratios[i] = 100 * rates[true][i] / rates[false][i]
	}
	slices.Sort(ratios)
	median := ratios[len(ratios)/2]
	if len(ratios)%2 == 0 {
		median = (ratios[len(ratios)/2-1] + median) / 2
	}
	b.add(result{group: "search CreateMemo gRPC c=16", name: "with vs without (the means)", value: 100 * with / without, unit: "%"})
	if len(ratios) == 10 {
		b.add(result{group: "search CreateMemo gRPC c=16", name: "with vs without, 2nd of the rounds (the median is above it, p = 0.989)", value: ratios[1], unit: "%"})
		b.add(result{group: "search CreateMemo gRPC c=16", name: "with vs without, 9th of the rounds (the median is below it, p = 0.989)", value: ratios[8], unit: "%"})
	}
	b.add(result{group: "search CreateMemo gRPC c=16", name: "with vs without (median of the rounds)", value: median, unit: "%", target: "≥ 90%", met: ptr(median >= 90)})
	return nil
}

func dropSearchTriggers(path string) error {
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		return err
	}
	defer db.Close()
	// Without its triggers and queue the store does no index work at all
	// (it neither prepares tokens nor flushes a queue).
	for _, stmt := range []string{"DROP TRIGGER memo_search_insert", "DROP TRIGGER memo_search_unindex",
		"DROP TRIGGER memo_search_reindex", "DROP TRIGGER memo_search_delete", "DROP TABLE memo_search_queue"} {
		if _, err := db.Exec(stmt); err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	return nil
}

// indexSize compares the vacuumed database with and without the index.
func (b *bench) indexSize(template string) error {
	size := func(drop bool) (int64, error) {
		dir := b.newDataDir()
		defer os.RemoveAll(dir)
		if err := copyDir(template, dir); err != nil {
			return 0, err
		}
		path := filepath.Join(dir, "memoria.db")
		db, err := sql.Open("sqlite3", path)
		if err != nil {
			return 0, err
		}
		defer db.Close()
		if drop {
			if _, err := db.Exec("DROP TABLE memo_search"); err != nil {
				return 0, err
			}
		}
		if _, err := db.Exec("VACUUM"); err != nil {
			return 0, err
		}
		if _, err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			return 0, err
		}
		st, err := os.Stat(path)
		if err != nil {
			return 0, err
		}
		return st.Size(), nil
	}
	with, err := size(false)
	if err != nil {
		return err
	}
	without, err := size(true)
	if err != nil {
		return err
	}
	mib := func(n int64) float64 { return float64(n) / (1 << 20) }
	b.add(result{group: "search index size", name: "database with the index (vacuumed)", value: mib(with), unit: "MiB"})
	b.add(result{group: "search index size", name: "database without it", value: mib(without), unit: "MiB"})
	b.add(result{group: "search index size", name: "the index", value: mib(with - without), unit: "MiB"})
	return nil
}
