package store

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/jackc/pgx/v5"
)

// Dedicated PostgreSQL connections: the leader lease's and the change
// listener's. Each is one pgx connection of its own, never from the pool
// (a pool would hand the session, and with it an advisory lock or a
// LISTEN, to whoever asks next). Both must learn quickly that the peer
// is gone, so TCP keepalives are tight on both ends:
//
//   - this end: probes after 2 s idle, every 1 s, dead after 2 missed
//     (net.KeepAliveConfig), and TCP_USER_TIMEOUT so that unacknowledged
//     data fails within 4 s too (keepalives only probe an idle socket);
//   - the server's end, as session settings sent at connect:
//     tcp_keepalives_idle=2, tcp_keepalives_interval=1,
//     tcp_keepalives_count=2, tcp_user_timeout=4000 (ms), so the server
//     ends the session — and frees its advisory lock — within about 4 s
//     of losing a client that died without closing its socket.
//
// Over a Unix socket none of this applies (the server ignores the
// settings there, and a local socket does not vanish silently).

// Keepalive timing of dedicated connections.
const (
	pgKeepAliveIdle     = 2 * time.Second
	pgKeepAliveInterval = time.Second
	pgKeepAliveCount    = 2
	pgUserTimeout       = 4 * time.Second
)

// dedicatedConfig parses connString for a dedicated connection named app
// (its application_name, which makes it easy to find in
// pg_stat_activity), with the keepalives above.
func dedicatedConfig(connString, app string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("parse the PostgreSQL URL: %w", err)
	}
	d := &net.Dialer{
		Timeout: cfg.ConnectTimeout,
		KeepAliveConfig: net.KeepAliveConfig{
			Enable: true, Idle: pgKeepAliveIdle, Interval: pgKeepAliveInterval, Count: pgKeepAliveCount,
		},
		Control: setUserTimeout,
	}
	if d.Timeout <= 0 {
		d.Timeout = 10 * time.Second
	}
	cfg.DialFunc = d.DialContext
	set := func(k, v string) {
		if _, ok := cfg.RuntimeParams[k]; !ok {
			cfg.RuntimeParams[k] = v
		}
	}
	set("application_name", app)
	set("tcp_keepalives_idle", fmt.Sprint(int(pgKeepAliveIdle/time.Second)))
	set("tcp_keepalives_interval", fmt.Sprint(int(pgKeepAliveInterval/time.Second)))
	set("tcp_keepalives_count", fmt.Sprint(pgKeepAliveCount))
	set("tcp_user_timeout", fmt.Sprint(pgUserTimeout.Milliseconds()))
	return cfg, nil
}

// connectDedicated opens a dedicated connection with cfg.
func connectDedicated(ctx context.Context, cfg *pgx.ConnConfig) (*pgx.Conn, error) {
	return pgx.ConnectConfig(ctx, cfg.Copy())
}

// closeConn closes c without waiting long for a server that may be gone.
func closeConn(c *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c.Close(ctx)
}
