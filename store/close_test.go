package store

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/memoria-app/memoria/store/internal/testdb"
)

// TestCallsAfterClose: writes and reads after Close fail with ErrClosed
// (no panic on the closed queue); a second Close does nothing.
func TestCallsAfterClose(t *testing.T) {
	db := openScratch(t)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := db.tx(ctx, insertMarker(1)); !errors.Is(err, ErrClosed) {
		t.Errorf("write after Close: %v, want ErrClosed", err)
	}
	if _, err := db.UpdateSystemSettings(ctx, func(*SystemSettings) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("UpdateSystemSettings after Close: %v, want ErrClosed", err)
	}
	if _, err := db.GetSystemSettings(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("read after Close: %v, want ErrClosed", err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestWritesRacingClose: writes racing Close each either commit (and are
// then stored) or fail with ErrClosed; none panics or hangs. Run with -race.
func TestWritesRacingClose(t *testing.T) {
	dir, url := t.TempDir(), testdb.URL(t)
	db, err := Open(context.Background(), dir, Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, "CREATE TABLE scratch (x INTEGER NOT NULL)")
	const writers = 32
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = db.tx(context.Background(), insertMarker(i+1))
		}()
	}
	close(start)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	committed := 0
	for i, err := range errs {
		switch {
		case err == nil:
			committed++
		case !errors.Is(err, ErrClosed):
			t.Errorf("write %d: %v, want nil or ErrClosed", i, err)
		}
	}
	// Reopen the directory and check the committed writes are there.
	db2, err := Open(context.Background(), dir, Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	var n int64
	if err := db2.read.Raw("SELECT count(*) FROM scratch").Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != int64(committed) {
		t.Errorf("%d writes reported committed, %d stored", committed, n)
	}
	t.Logf("%d of %d committed before Close", committed, writers)
}
