package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/memoria-app/memoria/bot/telegramtest"
	"github.com/memoria-app/memoria/tgtoken"
)

// botFlags collects --bot token=username flags.
type botFlags []string

func (f *botFlags) String() string     { return strings.Join(*f, ",") }
func (f *botFlags) Set(v string) error { *f = append(*f, v); return nil }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "faketelegram:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("faketelegram", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8081", "address to listen on")
	quiet := fs.Bool("quiet", false, "do not log requests")
	var bots botFlags
	fs.Var(&bots, "bot", "register a bot: token=username (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}

	srv := telegramtest.New()
	defer srv.Close()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if !*quiet {
		srv.SetLogger(logger)
	}
	for _, b := range bots {
		token, username, _ := strings.Cut(b, "=")
		if err := addBot(srv, token, username); err != nil {
			return err
		}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	fmt.Fprintf(stdout, "faketelegram listening on http://%s\n", ln.Addr())

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	if !*quiet {
		logger.Info("faketelegram: shutting down")
	}
	srv.Close() // ends long polls, so that Shutdown need not wait for them
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// addBot registers a bot, checking the token first (AddBot panics on a
// malformed one).
func addBot(srv *telegramtest.Server, token, username string) error {
	if e, err := tgtoken.Parse(token); err != nil || e.Token != token {
		return errors.New("--bot wants token=username, with a token like 123456:secret")
	}
	srv.AddBot(token, username)
	return nil
}
