package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/memoria-app/memoria/bot"
	"github.com/memoria-app/memoria/metrics"
	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/server"
	"github.com/memoria-app/memoria/store"
	"github.com/memoria-app/memoria/web"
)

// Config is everything the server needs to start.
type Config struct {
	Addr           string // listen address, e.g. ":5230" or "127.0.0.1:0"
	DataDir        string // SQLite file (unless DBURL) and stored files
	DBURL          string // empty: SQLite in DataDir; postgres://…: PostgreSQL (store.Options.URL)
	MaxUploadBytes int64  // 0: server.DefaultMaxUploadBytes
	Logger         *slog.Logger
	// BcryptCost overrides the password hash cost (tests lower it).
	BcryptCost int
	// ShutdownTimeout bounds the graceful stop (default 10 s).
	ShutdownTimeout time.Duration
	// Bot tunes the Telegram runner (tests shorten its timeouts).
	Bot bot.Options
	// MetricsAllow lists the networks whose clients may scrape GET
	// /metrics, comma-separated; empty: DefaultMetricsAllow.
	MetricsAllow string
	// FilesInDB stores uploaded files in the database rather than under
	// DataDir/files; nil: the database's default (store's
	// FilesInDBByDefault — in it on PostgreSQL, on disk on SQLite). Files
	// already stored are served from wherever they are.
	FilesInDB *bool
}

// DefaultMetricsAllow is who may scrape GET /metrics by default: this host.
const DefaultMetricsAllow = server.DefaultMetricsAllow

// App is a running Memoria instance.
type App struct {
	cfg   Config
	log   *slog.Logger
	db    *store.DB
	rules *rules.Rules
	ln    net.Listener
	srv   *http.Server
	bot   *botRunner
}

// New opens the store and binds the listener; Run serves.
func New(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	allow, err := server.ParseNetworks(cmp.Or(cfg.MetricsAllow, DefaultMetricsAllow))
	if err != nil {
		return nil, fmt.Errorf("--metrics-allow (MEMORIA_METRICS_ALLOW): %w", err)
	}
	m := metrics.New()
	db, err := store.Open(ctx, cfg.DataDir, store.Options{URL: cfg.DBURL, Observer: m})
	if err != nil {
		return nil, err
	}
	m.WatchStore(db.WriteStats)
	filesInDB := db.FilesInDBByDefault()
	if cfg.FilesInDB != nil {
		filesInDB = *cfg.FilesInDB
	}
	rl, err := rules.NewRules(db, cfg.DataDir, rules.Config{MaxUploadBytes: cfg.MaxUploadBytes, BcryptCost: cfg.BcryptCost, FilesInDB: filesInDB})
	if err != nil {
		db.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	a := &App{cfg: cfg, log: cfg.Logger, db: db, rules: rl, ln: ln}
	cfg.Bot.Observer = m
	if db.MultiProcess() {
		// Processes sharing the database elect the one that runs the bot
		// and all show its status.
		if cfg.Bot.Elector == nil {
			if cfg.Bot.Elector, err = store.NewPostgresElector(cfg.DBURL, store.PostgresLeaseOptions{Logger: cfg.Logger}); err != nil {
				ln.Close()
				db.Close()
				return nil, err
			}
		}
		if cfg.Bot.SharedStatus == nil {
			cfg.Bot.SharedStatus = db
		}
	}
	a.bot = newBotRunner(db, rl, cfg.Logger, cfg.Bot)
	rl.AttachBot(a.bot)
	m.WatchBotState(func() string { return bot.StateName(a.bot.Status().State) })
	handler := server.NewHandler(server.Deps{Rules: rl, Log: cfg.Logger, Web: web.Handler(),
		Metrics: server.Metrics{Handler: m.Handler(), Allow: allow, RPC: m}})
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true) // h2c, for gRPC without TLS
	a.srv = &http.Server{
		Handler:           handler,
		Protocols:         protocols,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // large uploads on slow links
		WriteTimeout:      10 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	// Open WatchMemos streams end when shutdown starts, or they would hold it up.
	a.srv.RegisterOnShutdown(db.EndMemoEventSubscriptions)
	return a, nil
}

// Addr is the address the server listens on (useful with port 0).
func (a *App) Addr() string { return a.ln.Addr().String() }

// Rules exposes the rules layer (for tests and tools).
func (a *App) Rules() *rules.Rules { return a.rules }

// Run serves until ctx ends, then stops gracefully: new connections are
// refused, in-flight calls finish (up to ShutdownTimeout, after which their
// connections are closed and Run reports the timeout), the bot stops and
// the database closes.
func (a *App) Run(ctx context.Context) error {
	a.log.Info("memoria listening", "addr", a.Addr(), "data", a.cfg.DataDir)
	botDone := make(chan struct{})
	botCtx, stopBot := context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		defer close(botDone)
		a.bot.run(botCtx)
	}()
	sweepDone := make(chan struct{})
	go func() {
		defer close(sweepDone)
		// Files orphaned by a crash between writing and committing. With
		// other processes on the database, one of theirs may be written and
		// not yet committed for longer (a bot batch waits for its slowest
		// download, up to 5 minutes each): wait an hour.
		grace := time.Minute
		if a.db.MultiProcess() {
			grace = time.Hour
		}
		if n, err := a.rules.SweepOrphanFiles(botCtx, grace); err != nil && botCtx.Err() == nil {
			a.log.Warn("sweep orphan files", "err", err)
		} else if n > 0 {
			a.log.Info("removed orphan files", "count", n)
		}
		a.rules.RunPruner(botCtx, a.log, nil) // ingest records Telegram can no longer redeliver: at start, then hourly
	}()
	serveErr := make(chan error, 1)
	go func() { serveErr <- a.srv.Serve(a.ln) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	a.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.ShutdownTimeout)
	defer cancel()
	if serr := a.srv.Shutdown(sctx); serr != nil {
		// Calls still running after ShutdownTimeout: cut their
		// connections. Their handlers may still be running; once the
		// store is closed below, their store calls fail with
		// store.ErrClosed.
		a.log.Warn("graceful stop timed out; closing the remaining connections", "timeout", a.cfg.ShutdownTimeout)
		a.srv.Close()
		if err == nil {
			err = fmt.Errorf("graceful stop: %w", serr)
		}
	}
	stopBot()
	<-botDone
	<-sweepDone
	if cerr := a.db.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	st := a.db.WriteStats()
	a.log.Info("stopped", "writes", st.Writes, "commits", st.Commits, "syncs", st.Syncs)
	return err
}

// WriteStats reports the store's write counters (for benchmarks and
// tools): writes, commits, and syncs of the log to stable storage.
func (a *App) WriteStats() store.WriteStats { return a.db.WriteStats() }

// Close releases an App that will not Run (Run cleans up by itself when its
// context ends).
func (a *App) Close() error {
	lerr := a.ln.Close()
	if err := a.db.Close(); err != nil {
		return err
	}
	if errors.Is(lerr, net.ErrClosed) {
		return nil
	}
	return lerr
}
