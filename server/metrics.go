package server

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"connectrpc.com/connect"
)

// DefaultMetricsAllow is who may scrape GET /metrics unless configured:
// this host only.
const DefaultMetricsAllow = "127.0.0.0/8,::1/128"

// RPCObserver hears of every finished API call (for a stream, when it
// ends): its procedure ("/memoria.v1.MemoService/CreateMemo"), its code
// as Connect names it ("ok", "not_found", …) and how long it took. It must
// be quick and safe for concurrent use.
type RPCObserver interface {
	RPCFinished(procedure, code string, took time.Duration)
}

// Metrics is the monitoring side of the handler.
type Metrics struct {
	// Handler serves the Prometheus exposition at GET /metrics; nil: no
	// /metrics (404).
	Handler http.Handler
	// Allow lists the networks whose clients may scrape it, matched
	// against the connection's own peer address (never a forwarded-for
	// header); everyone else gets 403.
	Allow []netip.Prefix
	// RPC hears of every API call; nil: nobody.
	RPC RPCObserver
}

// ParseNetworks parses a comma-separated list of networks in CIDR form
// ("10.0.0.0/8", "fd00::/8") or single addresses ("192.0.2.7"). An error
// names the entry that is wrong.
func ParseNetworks(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for entry := range strings.SplitSeq(list, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		if !strings.Contains(entry, "/") {
			addr, err := netip.ParseAddr(entry)
			if err != nil {
				return nil, fmt.Errorf("%q is neither a network (CIDR, e.g. 10.0.0.0/8) nor an IP address", entry)
			}
			addr = addr.Unmap()
			out = append(out, netip.PrefixFrom(addr, addr.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(entry)
		if err != nil {
			return nil, fmt.Errorf("%q is not a network in CIDR form (e.g. 10.0.0.0/8 or ::1/128)", entry)
		}
		if p.Addr().Is4In6() {
			// ::ffff:10.0.0.0/104 means 10.0.0.0/8: peers are unmapped.
			if p.Bits() < 96 {
				return nil, fmt.Errorf("%q mixes IPv4-mapped and other IPv6 addresses; write the IPv4 network instead", entry)
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q lists no network", list)
	}
	return out, nil
}

// allowed reports whether the direct peer (r.RemoteAddr) is in one of the
// networks.
func allowed(allow []netip.Prefix, remoteAddr string) bool {
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return false
	}
	addr := ap.Addr().Unmap().WithZone("")
	for _, p := range allow {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// metricsHandler serves GET /metrics to the clients m.Allow lets in.
func metricsHandler(m Metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m.Handler == nil {
			http.NotFound(w, r)
			return
		}
		if !allowed(m.Allow, r.RemoteAddr) {
			w.Header().Set("Cache-Control", "no-store")
			http.Error(w, "forbidden: metrics are served only to the networks in --metrics-allow", http.StatusForbidden)
			return
		}
		m.Handler.ServeHTTP(w, r)
	})
}

// metricsInterceptor reports every call to o once it has finished, with
// the code the client receives (it runs outside the error mapping); a
// stream is reported when it ends.
func metricsInterceptor(o RPCObserver) connect.Interceptor {
	finished := func(proc string, start time.Time, err error) {
		if o == nil {
			return
		}
		code := "ok"
		if err != nil {
			code = connect.CodeOf(err).String()
		}
		o.RPCFinished(proc, code, time.Since(start))
	}
	return interceptor{
		unary: func(next connect.UnaryFunc) connect.UnaryFunc {
			return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
				start := time.Now()
				resp, err := next(ctx, req)
				finished(req.Spec().Procedure, start, err)
				return resp, err
			}
		},
		stream: func(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
			return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
				start := time.Now()
				err := next(ctx, conn)
				finished(conn.Spec().Procedure, start, err)
				return err
			}
		},
	}
}
