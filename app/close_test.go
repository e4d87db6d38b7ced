package app_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/memoria-app/memoria/app"
)

// TestCloseWithoutRun frees the port and the database of an App that never
// ran, so the same data directory opens again at once.
func TestCloseWithoutRun(t *testing.T) {
	cfg := app.Config{Addr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	newStorage(t).use(&cfg)
	a, err := app.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	addr := a.Addr()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("port still held after Close: %v", err)
	}
	l.Close()
	b, err := app.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	b.Close()
}
