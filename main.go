package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/memoria-app/memoria/app"
	"github.com/memoria-app/memoria/backup"
	"github.com/memoria-app/memoria/importmemos"
	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
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

// subcommands maps each sub-command to its runner.
var subcommands = map[string]func(ctx context.Context, args []string, out io.Writer) error{
	"backup":       runBackup,
	"restore":      runRestore,
	"import-memos": runImportMemos,
}

func run(args []string, out io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(args) > 0 {
		if cmd, ok := subcommands[args[0]]; ok {
			return cmd(ctx, args[1:], out)
		}
	}
	return serve(ctx, args)
}

// storageFlags are --data and --db, which the server and every sub-command
// take.
type storageFlags struct {
	data, db string
}

func addStorageFlags(fs *flag.FlagSet) *storageFlags {
	var s storageFlags
	fs.StringVar(&s.data, "data", env("MEMORIA_DATA", "./data"), "directory for the SQLite database (unless --db) and stored files, created if missing (env MEMORIA_DATA)")
	fs.StringVar(&s.db, "db", env("MEMORIA_DB", ""), "empty: the SQLite file in --data; postgres://…: that PostgreSQL database (env MEMORIA_DB)")
	return &s
}

// check refuses a --db this build cannot use (before connecting).
func (s *storageFlags) check() error {
	if err := store.CheckURL(s.db); err != nil {
		return fmt.Errorf("--db: %w", err)
	}
	return nil
}

// instance is the instance the flags name, for backup and restore.
func (s *storageFlags) instance() backup.Instance {
	return backup.Instance{DataDir: s.data, DB: s.db}
}

// newFlagSet builds a sub-command's flag set with a usage text.
func newFlagSet(name, args, about string) *flag.FlagSet {
	fs := flag.NewFlagSet("memoria "+name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: memoria %s [flags] %s\n\n%s\n\nFlags:\n", name, args, about)
		fs.PrintDefaults()
	}
	return fs
}

// oneArg parses a sub-command's flags and returns its single argument.
func oneArg(fs *flag.FlagSet, args []string, what string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return "", fmt.Errorf("%s takes exactly one argument, %s", fs.Name(), what)
	}
	return fs.Arg(0), nil
}

func runBackup(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlagSet("backup", "FILE",
		"Writes a consistent copy of the instance's database and of every stored file it\n"+
			"refers to into FILE, one tar archive with a manifest of SHA-256 sums. The\n"+
			"instance may be running (and ingesting) or stopped; on PostgreSQL (--db) every\n"+
			"table is read in one transaction while the servers keep running. FILE is\n"+
			"replaced atomically. An archive of either database restores into either.")
	st := addStorageFlags(fs)
	file, err := oneArg(fs, args, "the archive to write")
	if err != nil {
		return err
	}
	if err := st.check(); err != nil {
		return err
	}
	sum, err := backup.Create(ctx, st.instance(), file)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(out, "backup written to %s: database (schema version %d) and %d files, %d bytes\n", file, sum.SchemaVersion, sum.Files, sum.Bytes)
	return nil
}

func runRestore(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlagSet("restore", "FILE",
		"Restores a backup written by \"memoria backup\" (from SQLite or PostgreSQL) into\n"+
			"--data, which must be empty or not exist, or with --db into that PostgreSQL\n"+
			"database, which must hold no memoria data (its files then go into the\n"+
			"database; --data only holds a scratch copy meanwhile). The whole archive is\n"+
			"verified (manifest, sizes, SHA-256 sums, schema version) before anything is\n"+
			"written; into PostgreSQL everything is copied in one transaction, so a failed\n"+
			"restore leaves the database empty. Start memoria on it afterwards.")
	st := addStorageFlags(fs)
	file, err := oneArg(fs, args, "the archive to restore")
	if err != nil {
		return err
	}
	if err := st.check(); err != nil {
		return err
	}
	sum, err := backup.Restore(ctx, file, st.instance())
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	into := st.data
	if st.db != "" {
		into = "the PostgreSQL database"
	}
	fmt.Fprintf(out, "restored %s into %s: database (schema version %d) and %d files, %d bytes\n", file, into, sum.SchemaVersion, sum.Files, sum.Bytes)
	return nil
}

func runImportMemos(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlagSet("import-memos", "PATH",
		"Imports users (with their passwords), memos, tags and resources from the memos\n"+
			"(usememos/memos) v0.22-or-later SQLite database at PATH, e.g. ~/.memos/memos_prod.db;\n"+
			"files stored locally are read from the folder beside it. Running it again imports\n"+
			"only what is new. Best run before anyone signs up, so that usernames are free.")
	st := addStorageFlags(fs)
	path, err := oneArg(fs, args, "the memos database file")
	if err != nil {
		return err
	}
	if err := st.check(); err != nil {
		return err
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("import-memos: %w", err)
	}
	db, err := store.Open(ctx, st.data, store.Options{URL: st.db})
	if err != nil {
		return err
	}
	defer db.Close()
	rl, err := rules.NewRules(db, st.data, rules.Config{})
	if err != nil {
		return err
	}
	rep, err := importmemos.Import(ctx, rl, path)
	if rep != nil {
		fmt.Fprint(out, rep)
	}
	if err != nil {
		return fmt.Errorf("import-memos: %w", err)
	}
	return nil
}

// serve runs the server (no sub-command).
func serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("memoria", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: memoria [flags]\n       memoria backup|restore|import-memos [flags] ARG (each with -h)\n\nFlags:\n")
		fs.PrintDefaults()
	}
	addr := fs.String("addr", env("MEMORIA_ADDR", ":5230"), "listen address (env MEMORIA_ADDR)")
	st := addStorageFlags(fs)
	maxUpload := fs.Int64("max-upload-mib", 32, "largest accepted resource in MiB (env MEMORIA_MAX_UPLOAD_MIB)")
	metricsAllow := fs.String("metrics-allow", env("MEMORIA_METRICS_ALLOW", app.DefaultMetricsAllow), "networks (comma-separated CIDRs or addresses) whose clients may scrape GET /metrics; others get 403 (env MEMORIA_METRICS_ALLOW)")
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
		return fmt.Errorf("unexpected argument %q (memoria takes only flags, or a sub-command: backup, restore, import-memos; see -h)", fs.Arg(0))
	}
	if err := st.check(); err != nil {
		return err
	}
	if *maxUpload <= 0 {
		return fmt.Errorf("--max-upload-mib must be positive")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	a, err := app.New(ctx, app.Config{Addr: *addr, DataDir: st.data, DBURL: st.db, MaxUploadBytes: *maxUpload << 20, Logger: log, MetricsAllow: *metricsAllow})
	if err != nil {
		return err
	}
	return a.Run(ctx)
}
