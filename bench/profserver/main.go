package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"syscall"

	"github.com/memoria-app/memoria/app"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "profserver:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:5230", "listen address")
	data := flag.String("data", "./data", "data directory")
	logLevel := flag.String("log-level", "warn", "log level")
	dbURL := flag.String("db", "", "empty: SQLite in --data; postgres://…: that PostgreSQL database")
	flag.Parse()
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return err
	}
	if dir := os.Getenv("MEMORIA_CPUPROFILE_DIR"); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return err
		}
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("cpu-%d.out", os.Getpid())))
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	a, err := app.New(ctx, app.Config{Addr: *addr, DataDir: *data, DBURL: *dbURL, Logger: log})
	if err != nil {
		return err
	}
	return a.Run(ctx)
}
