package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/memoria-app/memoria/store"
	"github.com/memoria-app/memoria/store/storetest"
)

// TestShutdownTimeout: a call still running when the graceful stop times
// out has its connection closed (the client is not left waiting), Run
// reports the timeout, and the handler, going on after the store closed,
// gets errors instead of panicking the process.
func TestShutdownTimeout(t *testing.T) {
	a, err := New(context.Background(), Config{
		Addr:            "127.0.0.1:0",
		DataDir:         t.TempDir(),
		DBURL:           storetest.URL(t),
		BcryptCost:      bcrypt.MinCost,
		Logger:          slog.New(slog.NewTextHandler(io.Discard, nil)),
		ShutdownTimeout: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	type handled struct {
		code  int
		panic any
	}
	handlerDone := make(chan handled, 1)
	next := a.srv.Handler
	// The held call is a real SignUp (a store write), served after the
	// release to a recorder, since its connection is gone by then.
	a.srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Test-Hold") == "" {
			next.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		close(entered)
		<-release
		rec := httptest.NewRecorder()
		func() {
			defer func() {
				if p := recover(); p != nil {
					handlerDone <- handled{panic: p}
				}
			}()
			r2 := r.Clone(context.WithoutCancel(r.Context()))
			r2.Body = io.NopCloser(bytes.NewReader(body))
			next.ServeHTTP(rec, r2)
			handlerDone <- handled{code: rec.Code}
		}()
	})
	ctx, stop := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- a.Run(ctx) }()

	clientDone := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, "http://"+a.Addr()+"/memoria.v1.AuthService/SignUp",
			strings.NewReader(`{"username":"late","password":"late password"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Test-Hold", "1")
		resp, err := (&http.Client{Transport: &http.Transport{}}).Do(req)
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("got a response: %s", resp.Status)
		} else {
			err = nil // the connection was closed under the call: expected
		}
		clientDone <- err
	}()
	<-entered
	stop()
	// Hang guards only: without the fix, these would never arrive.
	select {
	case err := <-runDone:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Run: %v, want the graceful stop's timeout", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after the graceful stop timed out")
	}
	select {
	case err := <-clientDone:
		if err != nil {
			t.Errorf("client: %v, want its connection closed", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the held call's connection was not closed when the graceful stop timed out")
	}
	close(release)
	h := <-handlerDone
	if h.panic != nil {
		t.Fatalf("handler running after the stop panicked: %v", h.panic)
	}
	if h.code == http.StatusOK {
		t.Errorf("SignUp after the store closed answered %d, want an error", h.code)
	}
	if err := a.db.CreateMemo(context.Background(), &store.Memo{Content: "late"}, nil); !errors.Is(err, store.ErrClosed) {
		t.Errorf("store write after the stop: %v, want store.ErrClosed", err)
	}
}
