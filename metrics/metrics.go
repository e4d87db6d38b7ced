package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/memoria-app/memoria/bot"
	"github.com/memoria-app/memoria/store"
)

// namespace prefixes every metric of ours.
const namespace = "memoria"

// Metrics holds Memoria's metrics in a registry of its own (no global
// state), with the Go runtime and process collectors beside them.
type Metrics struct {
	reg *prometheus.Registry

	rpcCalls    *prometheus.CounterVec
	rpcDuration *prometheus.HistogramVec

	updates          *prometheus.CounterVec
	ingestLag        prometheus.Histogram
	getUpdatesErrors *prometheus.CounterVec
	downloadErrors   *prometheus.CounterVec
	downloadedBytes  prometheus.Counter
	repliesQueued    prometheus.Counter
	repliesSent      prometheus.Counter
	repliesDropped   *prometheus.CounterVec

	groupWrites  prometheus.Histogram
	syncDuration prometheus.Histogram
}

// New builds the metrics. The store's totals and the bot's state join
// them once those exist: see WatchStore and WatchBotState.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.newRPC()
	m.newTelegram()
	m.newStore()
	return m
}

// Handler serves the registry in the Prometheus text format (or the
// protobuf format when the scraper asks for it).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// rpcBuckets span a fast read (under a millisecond) to a large upload or a
// long stream.
var rpcBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}

func (m *Metrics) newRPC() {
	m.rpcCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "rpc", Name: "calls_total",
		Help: "API calls finished (streams when they end), by procedure and code.",
	}, []string{"procedure", "code"})
	m.rpcDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "rpc", Name: "duration_seconds",
		Help:    "Time from an API call's start to its end (a stream's whole life), by procedure and code.",
		Buckets: rpcBuckets,
	}, []string{"procedure", "code"})
	m.reg.MustRegister(m.rpcCalls, m.rpcDuration)
}

// RPCFinished implements server.RPCObserver.
func (m *Metrics) RPCFinished(procedure, code string, took time.Duration) {
	m.rpcCalls.WithLabelValues(procedure, code).Inc()
	m.rpcDuration.WithLabelValues(procedure, code).Observe(took.Seconds())
}

// lagBuckets: Telegram dates messages to the second; a healthy bot ingests
// within a second or two, one that was down for hours catches up later.
var lagBuckets = []float64{.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600}

func (m *Metrics) newTelegram() {
	const sub = "telegram"
	m.updates = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: sub, Name: "updates_total",
		Help: "Telegram updates handled and committed, by kind.",
	}, []string{"kind"})
	m.ingestLag = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: sub, Name: "ingest_lag_seconds",
		Help:    "Time from the date Telegram gave a message (or its edit) to the commit of its batch.",
		Buckets: lagBuckets,
	})
	m.getUpdatesErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: sub, Name: "get_updates_errors_total",
		Help: "Failed getUpdates calls, by kind (rate_limited, rejected, conflict, transient, refused).",
	}, []string{"kind"})
	m.downloadErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: sub, Name: "download_errors_total",
		Help: "Failed attempts to download a file from Telegram, by kind (rate_limited, transient, permanent, storage).",
	}, []string{"kind"})
	m.downloadedBytes = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: sub, Name: "downloaded_bytes_total",
		Help: "Bytes of files downloaded from Telegram and staged.",
	})
	m.repliesQueued = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: sub, Name: "replies_queued_total",
		Help: "Replies accepted into a chat's send queue.",
	})
	m.repliesSent = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: sub, Name: "replies_sent_total",
		Help: "Messages and reactions delivered to Telegram (consecutive confirmations to one chat go as one).",
	})
	m.repliesDropped = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: sub, Name: "replies_dropped_total",
		Help: "Replies given up, by reason (queue_full, undeliverable, retries_exhausted).",
	}, []string{"reason"})
	// Every label value exists from the start, at 0, so that rate() and
	// alerts see the first failure.
	for _, k := range bot.UpdateKinds {
		m.updates.WithLabelValues(k)
	}
	for _, k := range bot.FailureKinds {
		m.getUpdatesErrors.WithLabelValues(k)
	}
	for _, k := range bot.DownloadFailureKinds {
		m.downloadErrors.WithLabelValues(k)
	}
	for _, r := range bot.DropReasons {
		m.repliesDropped.WithLabelValues(r)
	}
	m.reg.MustRegister(m.updates, m.ingestLag, m.getUpdatesErrors, m.downloadErrors,
		m.downloadedBytes, m.repliesQueued, m.repliesSent, m.repliesDropped)
}

// UpdateHandled implements bot.Observer.
func (m *Metrics) UpdateHandled(kind string, date time.Time) {
	m.updates.WithLabelValues(kind).Inc()
	if !date.IsZero() {
		m.ingestLag.Observe(max(0, time.Since(date).Seconds()))
	}
}

// GetUpdatesFailed implements bot.Observer.
func (m *Metrics) GetUpdatesFailed(kind string) { m.getUpdatesErrors.WithLabelValues(kind).Inc() }

// DownloadFailed implements bot.Observer.
func (m *Metrics) DownloadFailed(kind string) { m.downloadErrors.WithLabelValues(kind).Inc() }

// Downloaded implements bot.Observer.
func (m *Metrics) Downloaded(bytes int64) { m.downloadedBytes.Add(float64(bytes)) }

// ReplyQueued implements bot.Observer.
func (m *Metrics) ReplyQueued() { m.repliesQueued.Inc() }

// ReplySent implements bot.Observer.
func (m *Metrics) ReplySent() { m.repliesSent.Inc() }

// ReplyDropped implements bot.Observer.
func (m *Metrics) ReplyDropped(reason string) { m.repliesDropped.WithLabelValues(reason).Inc() }

// WatchBotState exposes the bot's state, read at each scrape, as
// memoria_telegram_bot_state: one series per state, 1 for the current one.
func (m *Metrics) WatchBotState(state func() string) {
	m.reg.MustRegister(&enumCollector{
		desc: prometheus.NewDesc(prometheus.BuildFQName(namespace, "telegram", "bot_state"),
			"The Telegram bot's state: 1 for the current one, 0 for the others.", []string{"state"}, nil),
		values:  bot.StateNames,
		current: state,
	})
}

// writeBuckets: a lone write, small groups under light load, up to the
// writer's largest group.
var writeBuckets = []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512}

// syncBuckets: an fsync takes tens of microseconds on a fast SSD and
// tens of milliseconds on a disk or a network volume.
var syncBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}

func (m *Metrics) newStore() {
	m.groupWrites = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "store", Name: "commit_group_writes",
		Help:    "Writes per committed transaction (group commit).",
		Buckets: writeBuckets,
	})
	m.syncDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "store", Name: "sync_duration_seconds",
		Help:    "Time one sync of the write-ahead log to stable storage took.",
		Buckets: syncBuckets,
	})
	m.reg.MustRegister(m.groupWrites, m.syncDuration)
}

// GroupCommitted implements store.WriteObserver.
func (m *Metrics) GroupCommitted(writes int) { m.groupWrites.Observe(float64(writes)) }

// Synced implements store.WriteObserver.
func (m *Metrics) Synced(took time.Duration) { m.syncDuration.Observe(took.Seconds()) }

// WatchStore exposes the store's own totals, read at each scrape.
func (m *Metrics) WatchStore(stats func() store.WriteStats) {
	counter := func(name, help string, v func(store.WriteStats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "store", Name: name, Help: help,
		}, func() float64 { return float64(v(stats())) })
	}
	m.reg.MustRegister(
		counter("writes_total", "Writes that reached the writer.", func(s store.WriteStats) uint64 { return s.Writes }),
		counter("commit_groups_total", "Transactions committed, each holding a group of writes.", func(s store.WriteStats) uint64 { return s.Commits }),
		counter("syncs_total", "Completed syncs of the write-ahead log, each covering one or more commits.", func(s store.WriteStats) uint64 { return s.Syncs }),
	)
}
