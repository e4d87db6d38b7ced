package metrics

import "github.com/prometheus/client_golang/prometheus"

// enumCollector exposes a state as one gauge series per possible value,
// 1 for the current one and 0 for the others (the usual Prometheus form
// of an enum: alert on `memoria_telegram_bot_state{state="error"} == 1`).
type enumCollector struct {
	desc    *prometheus.Desc
	values  []string
	current func() string
}

// Describe implements prometheus.Collector.
func (c *enumCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *enumCollector) Collect(ch chan<- prometheus.Metric) {
	cur := c.current()
	for _, v := range c.values {
		x := 0.0
		if v == cur {
			x = 1
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, x, v)
	}
}
