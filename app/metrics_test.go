package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/memoria-app/memoria/app"
	"github.com/memoria-app/memoria/bot/telegramtest"
	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/gen/memoria/v1/memoriav1connect"
)

// scrapeResult is one parsed scrape of GET /metrics.
type scrapeResult map[string]*dto.MetricFamily

// getMetrics sends GET /metrics, optionally with extra headers.
func (s *testServer) getMetrics(header ...string) *http.Response {
	s.tb.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+"/metrics", nil)
	if err != nil {
		s.tb.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.tb.Fatalf("GET /metrics: %v", err)
	}
	return resp
}

// scrape fetches /metrics and parses it with the Prometheus text parser.
func (s *testServer) scrape() scrapeResult {
	s.tb.Helper()
	resp := s.getMetrics("Accept", "text/plain")
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		s.tb.Fatalf("GET /metrics: %s", resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		s.tb.Fatalf("Content-Type = %q, want the text format", ct)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		s.tb.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// sum adds up the series of name whose labels include every given
// name/value pair: counter, gauge or untyped values, and a histogram's
// sample count.
func (r scrapeResult) sum(name string, labels ...string) float64 {
	var total float64
	fam := r[name]
	if fam == nil {
		return 0
	}
series:
	for _, m := range fam.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, lp := range m.Label {
				if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			total += m.Counter.GetValue()
		case m.Gauge != nil:
			total += m.Gauge.GetValue()
		case m.Untyped != nil:
			total += m.Untyped.GetValue()
		case m.Histogram != nil:
			total += float64(m.Histogram.GetSampleCount())
		}
	}
	return total
}

// metricNames are the metrics docs/metrics.md promises, with their types.
var metricNames = map[string]dto.MetricType{
	"memoria_rpc_calls_total":                   dto.MetricType_COUNTER,
	"memoria_rpc_duration_seconds":              dto.MetricType_HISTOGRAM,
	"memoria_telegram_updates_total":            dto.MetricType_COUNTER,
	"memoria_telegram_ingest_lag_seconds":       dto.MetricType_HISTOGRAM,
	"memoria_telegram_get_updates_errors_total": dto.MetricType_COUNTER,
	"memoria_telegram_download_errors_total":    dto.MetricType_COUNTER,
	"memoria_telegram_downloaded_bytes_total":   dto.MetricType_COUNTER,
	"memoria_telegram_bot_state":                dto.MetricType_GAUGE,
	"memoria_telegram_replies_queued_total":     dto.MetricType_COUNTER,
	"memoria_telegram_replies_sent_total":       dto.MetricType_COUNTER,
	"memoria_telegram_replies_dropped_total":    dto.MetricType_COUNTER,
	"memoria_store_writes_total":                dto.MetricType_COUNTER,
	"memoria_store_commit_groups_total":         dto.MetricType_COUNTER,
	"memoria_store_syncs_total":                 dto.MetricType_COUNTER,
	"memoria_store_commit_group_writes":         dto.MetricType_HISTOGRAM,
	"memoria_store_sync_duration_seconds":       dto.MetricType_HISTOGRAM,
	"go_goroutines":                             dto.MetricType_GAUGE,
	"go_gc_duration_seconds":                    dto.MetricType_SUMMARY,
	"process_cpu_seconds_total":                 dto.MetricType_COUNTER,
	"process_resident_memory_bytes":             dto.MetricType_GAUGE,
}

// TestMetrics scrapes a running App before and after API calls (unary and
// streaming) and Telegram traffic through the fake Bot API (with a failed
// getUpdates and a failed download), and checks that every promised
// metric exists and moves.
func TestMetrics(t *testing.T) {
	tg := telegramtest.NewServer()
	defer tg.Close()
	const token = "4839574812:AAFD39kkdpWt3ywyRZergyOLMaJhac60qc"
	tgBot := tg.AddBot(token, "memoria_metrics_bot")
	s := startServer(t, fastBot)

	start := s.scrape()
	if got := start.sum("memoria_telegram_bot_state", "state", "disabled"); got != 1 {
		t.Errorf(`bot_state{state="disabled"} = %v before a token, want 1`, got)
	}
	for _, kind := range []string{"rate_limited", "rejected", "conflict", "transient", "refused"} {
		if _, ok := seriesOf(start, "memoria_telegram_get_updates_errors_total", "kind", kind); !ok {
			t.Errorf("get_updates_errors_total{kind=%q} is missing before any error", kind)
		}
	}

	// The API: a memo, a call that fails, a stream.
	_, admin := s.signUp("admin")
	s.createMemo(admin, "hello #metrics", v1.Visibility_VISIBILITY_PRIVATE)
	_, err := s.as(admin).Memos.GetMemo(ctxT(t), connect.NewRequest(&v1.GetMemoRequest{Name: "memos/999999"}))
	wantCode(t, err, connect.CodeNotFound)
	w := s.watch(connectJSON, admin)

	mid := s.scrape()
	create := memoriav1connect.MemoServiceCreateMemoProcedure
	watch := memoriav1connect.MemoServiceWatchMemosProcedure
	for _, c := range []struct {
		what   string
		name   string
		labels []string
		want   float64
	}{
		{"CreateMemo ok", "memoria_rpc_calls_total", []string{"procedure", create, "code", "ok"}, 1},
		{"CreateMemo ok latency", "memoria_rpc_duration_seconds", []string{"procedure", create, "code", "ok"}, 1},
		{"GetMemo not_found", "memoria_rpc_calls_total", []string{"procedure", memoriav1connect.MemoServiceGetMemoProcedure, "code", "not_found"}, 1},
		{"SignUp ok", "memoria_rpc_calls_total", []string{"procedure", memoriav1connect.AuthServiceSignUpProcedure, "code", "ok"}, 1},
		{"WatchMemos while open", "memoria_rpc_calls_total", []string{"procedure", watch}, 0},
	} {
		if got := mid.sum(c.name, c.labels...); got != c.want {
			t.Errorf("%s: %s%v = %v, want %v", c.what, c.name, c.labels, got, c.want)
		}
	}
	for _, name := range []string{"memoria_store_writes_total", "memoria_store_commit_groups_total", "memoria_store_syncs_total",
		"memoria_store_commit_group_writes", "memoria_store_sync_duration_seconds"} {
		if mid.sum(name) <= start.sum(name) {
			t.Errorf("%s did not move with the API's writes: %v → %v", name, start.sum(name), mid.sum(name))
		}
	}
	w.cancel()
	w.end()
	eventually(t, 10*time.Second, "WatchMemos counted when it ends", func() bool {
		return s.scrape().sum("memoria_rpc_calls_total", "procedure", watch) == 1
	})

	// Telegram: the first getUpdates fails, then a text, a photo whose
	// first download fails, and a command.
	tgBot.FailNext(1, telegramtest.Fault{Kind: telegramtest.FaultInternalError, Methods: []string{"getUpdates"}})
	s.setToken(admin, tg.URL()+"/bot"+token)
	alice := telegramtest.User{ID: 777100, FirstName: "Alice"}
	// Alice talks to the bot first (as one does to learn one's id): the
	// notice that her id is linked can only reach a chat that exists, and
	// an undeliverable one would count as dropped.
	tgBot.SendText(alice, "hello")
	waitReply(t, tgBot, alice.ID, "777100")
	s.linkTelegram(admin, alice.ID)
	tgBot.SendText(alice, "from telegram")
	s.waitMemos(admin, 2)
	tgBot.FailNext(1, telegramtest.Fault{Kind: telegramtest.FaultBadGateway, Methods: []string{"download"}})
	img := pngBytes(7)
	tgBot.SendPhoto(alice, "a photo", nil, img, "")
	s.waitMemos(admin, 3)
	tgBot.SendText(alice, "/help")
	waitReply(t, tgBot, alice.ID, "/search")
	var end scrapeResult
	eventually(t, 10*time.Second, "three replies sent", func() bool {
		end = s.scrape()
		return end.sum("memoria_telegram_replies_sent_total") >= 3
	})

	for name, typ := range metricNames {
		fam := end[name]
		if fam == nil {
			t.Errorf("%s is missing", name)
			continue
		}
		if fam.GetType() != typ {
			t.Errorf("%s is a %v, want a %v", name, fam.GetType(), typ)
		}
		if fam.GetHelp() == "" {
			t.Errorf("%s has no help text", name)
		}
	}
	for _, c := range []struct {
		what   string
		name   string
		labels []string
		min    float64
	}{
		{"text and photo", "memoria_telegram_updates_total", []string{"kind", "message"}, 2},
		{"/help", "memoria_telegram_updates_total", []string{"kind", "command"}, 1},
		{"lag of each message", "memoria_telegram_ingest_lag_seconds", nil, 3},
		{"the failed getUpdates", "memoria_telegram_get_updates_errors_total", []string{"kind", "transient"}, 1},
		{"the failed download", "memoria_telegram_download_errors_total", []string{"kind", "transient"}, 1},
		{"the photo's bytes", "memoria_telegram_downloaded_bytes_total", nil, float64(len(img))},
		{"running", "memoria_telegram_bot_state", []string{"state", "running"}, 1},
		{"confirmations and the help text", "memoria_telegram_replies_queued_total", nil, 3},
	} {
		if got := end.sum(c.name, c.labels...); got < c.min {
			t.Errorf("%s: %s%v = %v, want at least %v", c.what, c.name, c.labels, got, c.min)
		}
	}
	for _, state := range []string{"disabled", "starting", "error"} {
		if got := end.sum("memoria_telegram_bot_state", "state", state); got != 0 {
			t.Errorf(`bot_state{state=%q} = %v while running, want 0`, state, got)
		}
	}
	if got := end.sum("memoria_telegram_replies_dropped_total"); got != 0 {
		t.Errorf("replies_dropped_total = %v, want 0", got)
	}
	if end.sum("memoria_store_commit_groups_total") <= mid.sum("memoria_store_commit_groups_total") {
		t.Error("commit_groups_total did not move with Telegram's writes")
	}

	// A reply Telegram refuses (as for a user who blocked the bot) is dropped.
	tgBot.FailNext(1, telegramtest.Fault{Kind: telegramtest.FaultUnauthorized, Methods: []string{"sendMessage"}})
	tgBot.SendText(alice, "/help")
	eventually(t, 10*time.Second, "the refused reply counted as dropped", func() bool {
		return s.scrape().sum("memoria_telegram_replies_dropped_total", "reason", "undeliverable") == 1
	})

	// A link notice to an account that never talked to the bot: Telegram
	// refuses it (no chat to write to), and it is dropped, counted, and
	// not tried again.
	_, bobToken := s.createUser(admin, "bob")
	const silent = 777200
	s.linkTelegram(bobToken, silent)
	eventually(t, 10*time.Second, "the link notice to a silent account counted as dropped", func() bool {
		return s.scrape().sum("memoria_telegram_replies_dropped_total", "reason", "undeliverable") == 2
	})
	time.Sleep(300 * time.Millisecond) // a retry would come within this
	var tries int
	for _, c := range tgBot.SentMethod("sendMessage") {
		if c.Params["chat_id"] == fmt.Sprint(silent) {
			tries++
		}
	}
	if tries != 1 {
		t.Errorf("the link notice to the silent account was tried %d times, want once", tries)
	}
	if got := s.scrape().sum("memoria_telegram_replies_dropped_total", "reason", "retries_exhausted"); got != 0 {
		t.Errorf("replies_dropped_total{reason=retries_exhausted} = %v, want 0", got)
	}
}

// seriesOf finds the series of name with the label pair.
func seriesOf(r scrapeResult, name, label, value string) (*dto.Metric, bool) {
	if fam := r[name]; fam != nil {
		for _, m := range fam.Metric {
			for _, lp := range m.Label {
				if lp.GetName() == label && lp.GetValue() == value {
					return m, true
				}
			}
		}
	}
	return nil, false
}

// TestMetricsAllowList: only clients whose own address is in
// --metrics-allow may scrape; a forwarded-for header changes nothing.
func TestMetricsAllowList(t *testing.T) {
	tests := []struct {
		name   string
		allow  string
		header []string
		want   int
	}{
		{"default: loopback", "", nil, http.StatusOK},
		{"this address", "127.0.0.1", nil, http.StatusOK},
		{"a network with loopback", "10.0.0.0/8, 127.0.0.0/30", nil, http.StatusOK},
		{"networks without loopback", "10.0.0.0/8,fd00::/8", nil, http.StatusForbidden},
		{"forwarded-for is not the peer", "10.0.0.0/8", []string{"X-Forwarded-For", "10.1.2.3"}, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startServer(t, func(c *app.Config) { c.MetricsAllow = tt.allow })
			resp := s.getMetrics(tt.header...)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("GET /metrics from 127.0.0.1 with --metrics-allow=%q: %s, want %d", tt.allow, resp.Status, tt.want)
			}
			// The API and health stay open to everyone.
			if resp, err := http.Get(s.URL + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /healthz: %v %v", resp, err)
			}
		})
	}
}

// TestMetricsAllowInvalid: a bad --metrics-allow stops start-up, naming
// the bad entry, before the database is opened.
func TestMetricsAllowInvalid(t *testing.T) {
	for _, bad := range []struct{ value, names string }{
		{"10.0.0.0/33", "10.0.0.0/33"},
		{"localhost", "localhost"},
		{"127.0.0.0/8,,nonsense", "nonsense"},
		{"::1/129", "::1/129"},
		{" , ", "lists no network"},
	} {
		t.Run(bad.value, func(t *testing.T) {
			data := newStorage(t)
			cfg := app.Config{Addr: "127.0.0.1:0", MetricsAllow: bad.value, Logger: slog.New(slog.DiscardHandler)}
			data.use(&cfg)
			a, err := app.New(context.Background(), cfg)
			if err == nil {
				a.Close()
				t.Fatalf("app.New accepted --metrics-allow=%q", bad.value)
			}
			if !strings.Contains(err.Error(), bad.names) || !strings.Contains(err.Error(), "--metrics-allow") {
				t.Errorf("error %q does not name the flag and %q", err, bad.names)
			}
			if data.migrated(t) {
				t.Errorf("the database was opened despite the bad flag")
			}
		})
	}
}
