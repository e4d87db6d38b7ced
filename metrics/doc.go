// Package metrics keeps Memoria's Prometheus metrics and serves them in
// the text exposition format.
//
// Data flow: the parts of Memoria that do the work know nothing of
// Prometheus. Each reports through a small plain-Go interface of its own —
// server.RPCObserver (every API call), bot.Observer (Telegram updates,
// downloads, replies), store.WriteObserver (commit groups and syncs) — and
// *Metrics implements all three, turning the reports into counters and
// histograms. Totals the store already counts (store.WriteStats) and the
// bot's current state are read when Prometheus scrapes. app wires it all
// and hands Handler to the server, which answers GET /metrics only to the
// networks in --metrics-allow. docs/metrics.md lists every metric.
package metrics
