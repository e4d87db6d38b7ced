package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/memoria-app/memoria/app"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "memoria:", err)
		os.Exit(1)
	}
}

// env returns the environment twin of a flag, or def.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func run(args []string) error {
	fs := flag.NewFlagSet("memoria", flag.ContinueOnError)
	addr := fs.String("addr", env("MEMORIA_ADDR", ":5230"), "listen address (env MEMORIA_ADDR)")
	data := fs.String("data", env("MEMORIA_DATA", "./data"), "directory for the SQLite database and stored files, created if missing (env MEMORIA_DATA)")
	maxUpload := fs.Int64("max-upload-mib", 32, "largest accepted resource in MiB (env MEMORIA_MAX_UPLOAD_MIB)")
	logLevel := fs.String("log-level", env("MEMORIA_LOG_LEVEL", "info"), "debug, info, warn or error (env MEMORIA_LOG_LEVEL)")
	if v, ok := os.LookupEnv("MEMORIA_MAX_UPLOAD_MIB"); ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("MEMORIA_MAX_UPLOAD_MIB=%q is not a number", v)
		}
		*maxUpload = n
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (memoria takes only flags; see -h)", fs.Arg(0))
	}
	if *maxUpload <= 0 {
		return fmt.Errorf("--max-upload-mib must be positive")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.New(ctx, app.Config{Addr: *addr, DataDir: *data, MaxUploadBytes: *maxUpload << 20, Logger: log})
	if err != nil {
		return err
	}
	return a.Run(ctx)
}
