package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/memoria-app/memoria/rules"
)

// readyTimeout bounds one readiness check: a database that does not answer
// within it counts as unreachable.
const readyTimeout = 2 * time.Second

// healthzHandler serves GET /healthz: 200 for as long as the process serves
// HTTP (liveness; it checks nothing else).
func healthzHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write([]byte("ok\n"))
	})
}

// readyzHandler serves GET /readyz: 200 when the database answers within
// readyTimeout, 503 otherwise (the cause is logged, not shown).
func readyzHandler(r *rules.Rules, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx, cancel := context.WithTimeout(req.Context(), readyTimeout)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := r.Ready(ctx); err != nil {
			log.WarnContext(ctx, "not ready: the database does not answer", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("database unavailable\n"))
			return
		}
		w.Write([]byte("ready\n"))
	})
}
