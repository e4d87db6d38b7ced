package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestLocalElector(t *testing.T) {
	e := NewLocalElector()
	ctx := context.Background()
	l1, err := e.Acquire(ctx, "bot")
	if err != nil {
		t.Fatal(err)
	}
	if err := l1.Check(ctx); err != nil {
		t.Fatalf("Check = %v", err)
	}
	got := acquireAsync(ctx, e, "bot")
	select {
	case <-got:
		t.Fatal("second holder in one process")
	case <-time.After(100 * time.Millisecond):
	}
	other, err := e.Acquire(ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	other.Release()
	l1.Release()
	l1.Release() // twice is harmless
	if err := l1.Check(ctx); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("Check after Release = %v", err)
	}
	select {
	case l2 := <-got:
		l2.Release()
	case <-time.After(time.Second):
		t.Fatal("waiter not handed the lease")
	}
}

func TestLocalElectorContext(t *testing.T) {
	e := NewLocalElector()
	ctx, cancel := context.WithCancel(context.Background())
	l, err := e.Acquire(ctx, "bot")
	if err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithCancel(context.Background())
	wcancel()
	if _, err := e.Acquire(wctx, "bot"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire with an ended context = %v", err)
	}
	cancel()
	select {
	case <-l.Lost():
	case <-time.After(time.Second):
		t.Fatal("lease not released by its context")
	}
	l2, err := e.Acquire(context.Background(), "bot")
	if err != nil {
		t.Fatal(err)
	}
	l2.Release()
}
